/**
 * Bad values stop `helm template` (and so install and upgrade) before anything reaches the cluster:
 * through values.schema.json, or a template check where the rule spans several values.
 */
import type { IConfigMap } from 'kubernetes-models/v1';
import { find, helmBinary, renderChart, templateChart, type Overrides } from '../helpers/helm';

beforeAll(() => helmBinary(), 120_000);

const REJECTED: [string, Overrides, RegExp][] = [
  ['negative replicas', { 'worker.replicas': -1 }, /worker\/replicas.*minimum/],
  ['replicas as a word', { 'worker.replicas': 'two' }, /worker\/replicas/],
  ['a zero KEDA maximum', { 'keda.maxReplicaCount': 0 }, /keda\/maxReplicaCount/],
  [
    'a KEDA minimum above the maximum',
    { 'keda.minReplicaCount': 5, 'keda.maxReplicaCount': 2 },
    /minReplicaCount/,
  ],
  ['a queue length that is not a number', { 'keda.queueLength': 'lots' }, /keda\/queueLength/],
  ['a negative activation length', { 'keda.activationQueueLength': '-1' }, /keda\/activationQueueLength/],
  ['an unknown log level', { 'config.LOG_LEVEL': 'loud' }, /config\/LOG_LEVEL/],
  ['a non-numeric concurrency', { 'config.WORKER_CONCURRENCY': 'eight' }, /config\/WORKER_CONCURRENCY/],
  [
    'a concurrency over the worker bound',
    { 'config.WORKER_CONCURRENCY': 5000 },
    /config\/WORKER_CONCURRENCY/,
  ],
  ['a secret in the ConfigMap', { 'config.DATABASE_URL': 'postgres://x' }, /DATABASE_URL/],
  ['a misspelt top-level key', { kedaa: { enabled: true } }, /kedaa/],
  [
    'a PodDisruptionBudget that blocks every drain',
    { 'podDisruptionBudget.maxUnavailable': 0 },
    /maxUnavailable/,
  ],
  ['a port out of range', { httpPort: 70000 }, /httpPort/],
  [
    'a scrape interval that is not a duration',
    { 'serviceMonitor.interval': 'often' },
    /serviceMonitor\/interval/,
  ],
  ['a failure ratio above 1', { 'prometheusRule.failureRatio.threshold': 2 }, /failureRatio\/threshold/],
  ['an AMQP URL of another scheme', { 'secrets.amqpUrl': 'http://rabbitmq' }, /secrets\/amqpUrl/],
  [
    'a grace period the drain does not fit in',
    { 'worker.terminationGracePeriodSeconds': 130 },
    /terminationGracePeriodSeconds \(130 s\) must be above config.SHUTDOWN_GRACE_MS \(130000 ms\)/,
  ],
  [
    'a drain shorter than the job deadline',
    { 'config.SHUTDOWN_GRACE_MS': '60000' },
    /SHUTDOWN_GRACE_MS \(60000\) must be at least config.JOB_TIMEOUT_MS \(120000\)/,
  ],
];

describe('values helm refuses', () => {
  it.each(REJECTED)('%s', async (_name, values, message) => {
    const res = await templateChart(values);
    expect(res.stderr).toMatch(message);
    expect(res.code).not.toBe(0);
  });
});

describe('values helm accepts', () => {
  it.each<[string, Overrides]>([
    [
      'numbers where the ConfigMap wants strings',
      { 'config.WORKER_CONCURRENCY': 16, 'keda.queueLength': 50 },
    ],
    [
      'a longer deadline with a matching drain and grace',
      {
        'config.JOB_TIMEOUT_MS': '600000',
        'config.SHUTDOWN_GRACE_MS': '620000',
        'worker.terminationGracePeriodSeconds': 640,
      },
    ],
    ['extra OTEL settings for the SDK', { 'config.OTEL_EXPORTER_OTLP_PROTOCOL': 'grpc' }],
    ['scale to zero', { 'keda.minReplicaCount': 0 }],
    ['a percentage PodDisruptionBudget', { 'podDisruptionBudget.maxUnavailable': '50%' }],
  ])('%s', async (_name, values) => {
    const res = await templateChart(values);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('quotes numbers given for the ConfigMap and the KEDA target', async () => {
    const res = await templateChart({ 'config.WORKER_CONCURRENCY': 16, 'keda.queueLength': 50 });
    expect(res.stdout).toContain('WORKER_CONCURRENCY: "16"');
    expect(res.stdout).toContain('value: "50"');
  });
});

/** ingest on with one inline tenant: the smallest values it renders with. */
const TENANT_SECRET = 'acme-webhook-secret-0123456789';
const INGEST: Overrides = {
  'ingest.enabled': true,
  'ingest.tenants.inline': { acme: { secret: TENANT_SECRET } },
};

describe('values helm refuses for ingest', () => {
  const REJECTED: [string, Overrides, RegExp][] = [
    [
      'ingest without tenants',
      { 'ingest.enabled': true },
      /ingest.enabled needs tenants: set ingest.tenants.existingSecret .* or ingest.tenants.inline/,
    ],
    [
      'both kinds of tenants',
      { ...INGEST, 'ingest.tenants.existingSecret': 'webhook-tenants' },
      /either existingSecret or inline, not both/,
    ],
    ['negative replicas', { ...INGEST, 'ingest.replicas': -1 }, /ingest\/replicas.*minimum/],
    [
      'a short tenant secret',
      { ...INGEST, 'ingest.tenants.inline': { acme: { secret: 'x' } } },
      /inline\/acme\/secret': minLength/,
    ],
    [
      'a tenant with neither secret nor secrets',
      { ...INGEST, 'ingest.tenants.inline': { acme: { require_timestamp: true } } },
      /inline\/acme': 'oneOf' failed/,
    ],
    [
      "a queue prefix of ingest's own",
      { ...INGEST, 'ingest.config.QUEUE_PREFIX': 'other' },
      /invalid propertyName 'QUEUE_PREFIX'/,
    ],
    [
      'an INGEST_* setting in the workers config',
      { 'config.INGEST_RATE_PER_TENANT': '5' },
      /invalid propertyName 'INGEST_RATE_PER_TENANT'/,
    ],
    [
      'a zero rate',
      { ...INGEST, 'ingest.config.INGEST_RATE_PER_TENANT': 0 },
      /config\/INGEST_RATE_PER_TENANT/,
    ],
    [
      'a zero rate string',
      { ...INGEST, 'ingest.config.INGEST_RATE_PER_TENANT': '0.0' },
      /config\/INGEST_RATE_PER_TENANT/,
    ],
    [
      'an HPA minimum above its maximum',
      { ...INGEST, 'ingest.autoscaling.enabled': true, 'ingest.autoscaling.minReplicas': 11 },
      /minReplicas \(11\) is above ingest.autoscaling.maxReplicas \(10\)/,
    ],
    [
      'a CPU HPA without a CPU request',
      { ...INGEST, 'ingest.autoscaling.enabled': true, 'ingest.resources.requests.cpu': null },
      /set ingest.resources.requests.cpu/,
    ],
    [
      'a grace period the pause and drain do not fit in',
      { ...INGEST, 'ingest.terminationGracePeriodSeconds': 15 },
      /terminationGracePeriodSeconds \(15 s\) must be above .* \(15 s\)/,
    ],
    ['an unknown pathType', { ...INGEST, 'ingest.ingress.pathType': 'Regex' }, /ingress\/pathType/],
    [
      'a pod label that would change the selector',
      { ...INGEST, 'ingest.podLabels': { 'app.kubernetes.io/component': 'worker' } },
      /invalid propertyName 'app.kubernetes.io\/component'/,
    ],
    [
      'a misspelt ingest key',
      { ...INGEST, 'ingest.replica': 3 },
      /'\/ingest': additional properties 'replica'/,
    ],
  ];

  it.each(REJECTED)('%s', async (_name, values, message) => {
    const res = await templateChart(values);
    expect(res.stderr).toMatch(message);
    expect(res.code).not.toBe(0);
  });
});

describe('values helm accepts for ingest', () => {
  it.each<[string, Overrides]>([
    [
      'a fractional rate and numbers for strings',
      { ...INGEST, 'ingest.config.INGEST_RATE_PER_TENANT': 0.5, 'ingest.config.INGEST_DEDUP_SECONDS': 0 },
    ],
    [
      'a rotation and a required timestamp',
      {
        ...INGEST,
        'ingest.tenants.inline': {
          acme: { secrets: [TENANT_SECRET, `${TENANT_SECRET}-old`], require_timestamp: true },
        },
      },
    ],
    ['a percentage PodDisruptionBudget', { ...INGEST, 'ingest.podDisruptionBudget.maxUnavailable': '50%' }],
  ])('%s', async (_name, values) => {
    const res = await templateChart(values);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('renders numbers for the ingest ConfigMap as strings', async () => {
    const objs = await renderChart({
      ...INGEST,
      'ingest.config.INGEST_RATE_PER_TENANT': 0.5,
      'ingest.config.INGEST_DEDUP_SECONDS': 0,
    });
    expect((find(objs, 'ConfigMap', '-ingest') as unknown as IConfigMap).data).toMatchObject({
      INGEST_RATE_PER_TENANT: '0.5',
      INGEST_DEDUP_SECONDS: '0',
    });
  });
});
