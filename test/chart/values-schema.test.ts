/**
 * Bad values stop `helm template` (and so install and upgrade) before anything reaches the cluster:
 * through values.schema.json, or a template check where the rule spans several values.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IConfigMap } from 'kubernetes-models/v1';
import { isMap, isPair, parseDocument, type YAMLMap } from 'yaml';
import {
  CHART,
  find,
  helmBinary,
  KEDA_APIS,
  renderChart,
  templateChart,
  type Overrides,
} from '../helpers/helm.js';

beforeAll(() => helmBinary(), 120_000);

const REJECTED: [string, Overrides, RegExp][] = [
  ['negative replicas', { 'worker.replicas': -1 }, /worker\/replicas.*minimum/],
  ['replicas as a word', { 'worker.replicas': 'two' }, /worker\/replicas/],
  ['a zero KEDA maximum', { 'keda.maxReplicaCount': 0 }, /keda\/maxReplicaCount/],
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
    'a prefetch below the concurrency',
    { 'config.WORKER_CONCURRENCY': '16', 'config.WORKER_PREFETCH': '8' },
    /config.WORKER_PREFETCH \(8\) must be at least config.WORKER_CONCURRENCY \(16\)/,
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

  it('a KEDA minimum above the maximum, where KEDA scales', async () => {
    const res = await templateChart(
      { 'keda.minReplicaCount': 5, 'keda.maxReplicaCount': 2 },
      { apiVersions: KEDA_APIS },
    );
    expect(res.stderr).toMatch(/keda.minReplicaCount \(5\) is above keda.maxReplicaCount \(2\)/);
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
    const res = await templateChart(
      { 'config.WORKER_CONCURRENCY': 16, 'keda.queueLength': 50 },
      { apiVersions: KEDA_APIS },
    );
    expect(res.stdout).toContain('WORKER_CONCURRENCY: "16"');
    expect(res.stdout).toContain('value: "50"');
  });
});

/** ingest on with one inline tenant: the smallest values it renders with. */
const TENANT_SECRET = 'acme-webhook-secret-0123456789';
const INGEST: Overrides = {
  'ingest.enabled': true,
  'tenants.inline': { acme: { secret: TENANT_SECRET } },
};

describe('values helm refuses for ingest', () => {
  const REJECTED: [string, Overrides, RegExp][] = [
    [
      'ingest without tenants',
      { 'ingest.enabled': true },
      /ingest.enabled needs tenants: set tenants.existingSecret .* or tenants.inline/,
    ],
    [
      'both kinds of tenants',
      { ...INGEST, 'tenants.existingSecret': 'webhook-tenants' },
      /tenants: give either existingSecret or inline, not both/,
    ],
    ['negative replicas', { ...INGEST, 'ingest.replicas': -1 }, /ingest\/replicas.*minimum/],
    [
      'a short tenant secret',
      { ...INGEST, 'tenants.inline': { acme: { secret: 'x' } } },
      /inline\/acme\/secret': minLength/,
    ],
    [
      'a tenant with neither a webhook secret nor a servicedesk',
      { ...INGEST, 'tenants.inline': { acme: { require_timestamp: true } } },
      /inline\/acme': 'anyOf' failed/,
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
        'tenants.inline': {
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

/** The new values of issue 12, each refused in a wrong shape by the schema (never by a broken object). */
describe('values helm refuses: shapes of the first-install, extension and monitoring values', () => {
  const REJECTED: [string, Overrides, RegExp][] = [
    ['an image tag that YAML read as a number', { 'image.tag': 1.1 }, /image\/tag': got number, want string/],
    ['a digest that is not one', { 'image.digest': 'sha256:xyz' }, /image\/digest/],
    ['a registry with a scheme', { 'image.registry': 'https://ghcr.io' }, /image\/registry/],
    ['keda.enabled as a word', { 'keda.enabled': 'sometimes' }, /keda\/enabled/],
    [
      'a negative fallback threshold',
      { 'keda.fallback.failureThreshold': -1 },
      /keda\/fallback\/failureThreshold/,
    ],
    ['paused as a string', { 'keda.paused': 'yes' }, /keda\/paused/],
    [
      'a management host with credentials',
      { 'keda.rabbitmq.host': 'http://u:p@rabbitmq:15672/%2F' },
      /keda\/rabbitmq\/host/,
    ],
    ['an autoscaling minimum of 0', { 'autoscaling.minReplicas': 0 }, /autoscaling\/minReplicas/],
    ['an extra env entry without a name', { extraEnv: [{ value: 'x' }] }, /extraEnv\/0/],
    ['envFrom with an unknown source', { envFrom: [{ vaultRef: { name: 'x' } }] }, /envFrom\/0/],
    [
      'a relative mount path',
      { extraVolumeMounts: [{ name: 'ca', mountPath: 'etc/ca' }] },
      /extraVolumeMounts\/0\/mountPath/,
    ],
    ['an extra volume without a source', { extraVolumes: [{ name: 'ca' }] }, /extraVolumes\/0/],
    ['extraObjects as one object', { extraObjects: { kind: 'ConfigMap' } }, /extraObjects/],
    ['a common label that is a number', { commonLabels: { tier: 1 } }, /commonLabels\/tier/],
    ['a negative revision history', { revisionHistoryLimit: -1 }, /revisionHistoryLimit/],
    ['priorityClassName as a number', { priorityClassName: 1000 }, /priorityClassName/],
    ['a key name with a slash', { 'secrets.database.key': 'a/b' }, /secrets\/database\/key/],
    ['an unknown amqp scheme', { 'secrets.amqp.scheme': 'http' }, /secrets\/amqp\/scheme/],
    [
      'a Secret name in capitals',
      { 'secrets.amqp.existingSecret': 'Rabbit' },
      /secrets\/amqp\/existingSecret/,
    ],
    [
      'a migration pod label on the selector',
      { 'migrations.podLabels': { 'app.kubernetes.io/instance': 'x' } },
      /invalid propertyName/,
    ],
    ['migration tolerations as a map', { 'migrations.tolerations': { key: 'x' } }, /migrations\/tolerations/],
    [
      'a CIDR that is not one',
      { 'networkPolicy.kubernetesApi.cidrs': ['10.0.0.1'] },
      /kubernetesApi\/cidrs\/0/,
    ],
    ['the old dns switch', { 'networkPolicy.dns': true }, /networkPolicy\/dns/],
    [
      'the old API server peers',
      { 'networkPolicy.kubernetesApi.to': [] },
      /kubernetesApi': additional properties 'to'/,
    ],
    [
      'an unknown eviction policy',
      { 'podDisruptionBudget.unhealthyPodEvictionPolicy': 'Never' },
      /unhealthyPodEvictionPolicy/,
    ],
    [
      'relabelings as a map',
      { 'serviceMonitor.relabelings': { action: 'drop' } },
      /serviceMonitor\/relabelings/,
    ],
    ['honorLabels as a string', { 'serviceMonitor.honorLabels': 'true' }, /serviceMonitor\/honorLabels/],
    ['an extra rule without expr', { 'prometheusRule.extraRules': [{ alert: 'X' }] }, /extraRules\/0/],
    [
      'disabling an alert that does not exist',
      { 'prometheusRule.disabled': { EnhancerTypo: true } },
      /invalid propertyName 'EnhancerTypo'/,
    ],
    ['an empty runbook URL', { 'prometheusRule.runbookUrl': '' }, /runbookUrl/],
    [
      'a context-timeout share above 1',
      { 'prometheusRule.contextStepTimeouts.threshold': 1.5 },
      /contextStepTimeouts\/threshold/,
    ],
    [
      'a write-back window that is not a duration',
      { 'prometheusRule.writebackRejected.window': 'soon' },
      /writebackRejected\/window/,
    ],
    [
      'a threshold the model alert does not have',
      { 'prometheusRule.llmMisconfigured.threshold': 3 },
      /llmMisconfigured': additional properties 'threshold'/,
    ],
    [
      'a backlog window that is not a duration',
      { 'prometheusRule.backlog.window': 'long' },
      /backlog\/window/,
    ],
    ['an unknown RabbitMQ metric prefix', { 'rabbitmqMetrics.prefix': 'rmq_' }, /rabbitmqMetrics\/prefix/],
    [
      'a RabbitMQ selector with braces',
      { 'rabbitmqMetrics.selector': '{vhost="/"}' },
      /rabbitmqMetrics\/selector/,
    ],
    [
      'a sidecar label value that is a number',
      { 'grafanaDashboard.sidecarLabelValue': 1 },
      /sidecarLabelValue/,
    ],
    ['a misspelt dashboard key', { 'grafanaDashboard.enable': true }, /additional properties 'enable'/],
  ];

  it.each(REJECTED)('%s', async (_name, values, message) => {
    const res = await templateChart(values);
    expect(res.stderr).toMatch(message);
    expect(res.code).not.toBe(0);
  });
});

/** The context pipeline's settings and the LLM key: wrong shapes refused by the schema. */
describe('values helm refuses: the context pipeline and the LLM', () => {
  const LONG_MODEL = 'm'.repeat(201);
  const REJECTED: [string, Overrides, RegExp][] = [
    ['an unknown pipeline', { 'config.ENHANCER_PIPELINE': 'llm' }, /config\/ENHANCER_PIPELINE/],
    [
      'the LLM key in the ConfigMap',
      { 'config.LLM_API_KEY': 'sk-123' },
      /invalid propertyName 'LLM_API_KEY'/,
    ],
    [
      'the key file path in the ConfigMap (llm.apiKey sets it)',
      { 'config.LLM_API_KEY_FILE': '/x' },
      /invalid propertyName 'LLM_API_KEY_FILE'/,
    ],
    [
      'the key file path in extraEnv',
      { extraEnv: [{ name: 'LLM_API_KEY_FILE', value: '/x' }] },
      /extraEnv\/0\/name/,
    ],
    [
      'an LLM URL with credentials',
      { 'config.LLM_BASE_URL': 'https://user:sk-123@api.openai.com/v1' },
      /config\/LLM_BASE_URL/,
    ],
    ['an LLM URL without a scheme', { 'config.LLM_BASE_URL': 'api.openai.com/v1' }, /config\/LLM_BASE_URL/],
    ['a model name of 201 characters', { 'config.LLM_MODEL': LONG_MODEL }, /config\/LLM_MODEL/],
    ['a temperature above 2', { 'config.LLM_TEMPERATURE': 3 }, /config\/LLM_TEMPERATURE/],
    ['a temperature string above 2', { 'config.LLM_TEMPERATURE': '2.5' }, /config\/LLM_TEMPERATURE/],
    ['a model timeout below 100 ms', { 'config.LLM_TIMEOUT_MS': 50 }, /config\/LLM_TIMEOUT_MS/],
    ['fewer than 16 tokens', { 'config.LLM_MAX_TOKENS': 8 }, /config\/LLM_MAX_TOKENS/],
    [
      'a step timeout that is a word',
      { 'config.CONTEXT_STEP_TIMEOUT_MS': 'fast' },
      /CONTEXT_STEP_TIMEOUT_MS/,
    ],
    ['more than 50 similar tickets', { 'config.CONTEXT_SIMILAR_LIMIT': 51 }, /CONTEXT_SIMILAR_LIMIT/],
    ['a negative knowledge-base limit', { 'config.CONTEXT_KB_LIMIT': -1 }, /CONTEXT_KB_LIMIT/],
    ['more than 100 assets', { 'config.CONTEXT_ASSET_LIMIT': 101 }, /CONTEXT_ASSET_LIMIT/],
    ['a context pool of 0', { 'config.CONTEXT_POOL_MAX': 0 }, /config\/CONTEXT_POOL_MAX/],
    ['notes under 200 characters', { 'config.NOTE_MAX_CHARS': 100 }, /config\/NOTE_MAX_CHARS/],
    [
      'a helpdesk timeout above two minutes',
      { 'config.SERVICEDESK_TIMEOUT_MS': 200000 },
      /config\/SERVICEDESK_TIMEOUT_MS/,
    ],
    [
      'an API key Secret in capitals',
      { 'llm.apiKey.existingSecret': 'OpenAI' },
      /llm\/apiKey\/existingSecret/,
    ],
    ['an API key key with a slash', { 'llm.apiKey.key': 'a/b' }, /llm\/apiKey\/key/],
    [
      'a misspelt llm key',
      { 'llm.apikey': { existingSecret: 'x' } },
      /'\/llm': additional properties 'apikey'/,
    ],
  ];

  it.each(REJECTED)('%s', async (_name, values, message) => {
    const res = await templateChart(values);
    expect(res.stderr).toMatch(message);
    expect(res.code).not.toBe(0);
  });

  it.each<[string, Overrides]>([
    ['numbers for the context settings', { 'config.CONTEXT_POOL_MAX': 2, 'config.LLM_TEMPERATURE': 1.5 }],
    ['temperature strings 0 and 2.0', { 'config.LLM_TEMPERATURE': '2.0' }],
    [
      'an in-cluster model server over http with a port',
      {
        'config.LLM_BASE_URL': 'http://vllm.llm.svc:8000/v1',
        'config.LLM_MODEL': 'Qwen/Qwen2.5-7B-Instruct',
      },
    ],
  ])('accepts %s', async (_name, values) => {
    const res = await templateChart(values);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });
});

/** Tenants with a ServiceDesk Plus, the worker's own volumes, its egress: wrong shapes refused by the schema. */
describe('values helm refuses: tenants, their write-back and the egress to it', () => {
  const sdp = (servicedesk: Record<string, unknown>): Overrides => ({
    'tenants.inline': { acme: { servicedesk: { url: 'https://sdp.acme.example', ...servicedesk } } },
  });
  const REJECTED: [string, Overrides, RegExp][] = [
    ['a servicedesk without a token', sdp({}), /servicedesk': 'oneOf' failed/],
    [
      'a servicedesk with token and token_file',
      sdp({ token: 'x', token_file: '/t' }),
      /servicedesk': 'oneOf' failed/,
    ],
    ['a relative token_file', sdp({ token_file: 'tokens/acme' }), /servicedesk\/token_file/],
    [
      'a servicedesk URL with credentials',
      { 'tenants.inline': { acme: { servicedesk: { url: 'https://u:p@sdp.acme.example', token: 'x' } } } },
      /servicedesk\/url/,
    ],
    ['an unknown auth', sdp({ auth: 'basic', token: 'x' }), /servicedesk\/auth/],
    ['a misspelt servicedesk key', sdp({ tokenFile: '/t' }), /additional properties 'tokenFile'/],
    [
      'secret and secrets at once',
      { 'tenants.inline': { acme: { secret: TENANT_SECRET, secrets: [TENANT_SECRET] } } },
      /inline\/acme': 'not' failed/,
    ],
    ['a tenants Secret in capitals', { 'tenants.existingSecret': 'Tenants' }, /tenants\/existingSecret/],
    [
      'a worker volume without a source',
      { 'worker.extraVolumes': [{ name: 'x' }] },
      /worker\/extraVolumes\/0/,
    ],
    [
      'a relative worker mount path',
      { 'worker.extraVolumeMounts': [{ name: 'x', mountPath: 'etc/x' }] },
      /worker\/extraVolumeMounts\/0\/mountPath/,
    ],
    ['a model CIDR that is not one', { 'networkPolicy.llm.cidrs': ['203.0.113.10'] }, /llm\/cidrs\/0/],
    ['no helpdesk ports', { 'networkPolicy.servicedesk.ports': [] }, /servicedesk\/ports/],
    [
      'a switch the model block does not have (no peers is no rule)',
      { 'networkPolicy.llm.enabled': true },
      /llm': additional properties 'enabled'/,
    ],
    [
      'a helpdesk peer by host name, which a NetworkPolicy cannot express',
      { 'networkPolicy.servicedesk.to': [{ fqdn: 'sdp.acme.example' }] },
      /servicedesk\/to\/0/,
    ],
  ];

  it.each(REJECTED)('%s', async (_name, values, message) => {
    const res = await templateChart(values);
    expect(res.stderr).toMatch(message);
    expect(res.code).not.toBe(0);
  });
});

/** values.yaml read with its comments, and values.schema.json. */
const valuesDoc = parseDocument(readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
}
const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as Schema;

/** Each value's path with whether it or an enclosing value carries a `# --` comment. */
function documented(map: YAMLMap, prefix: string, inherited: boolean): [string, boolean][] {
  return map.items.flatMap((pair, i) => {
    if (!isPair(pair)) return [];
    const key = pair.key as { value: unknown; commentBefore?: string | null };
    const comment = `${i === 0 ? (map.commentBefore ?? '') : ''}\n${key.commentBefore ?? ''}`;
    const here = inherited || /(^|\n) ?-- /.test(comment);
    const name = `${prefix}${String(key.value)}`;
    const value = pair.value;
    if (isMap(value) && value.items.length > 0 && !here) return documented(value, `${name}.`, false);
    return [[name, here] as [string, boolean]];
  });
}

/**
 * Paths present on one side only: values.yaml keys the schema does not name, and the other way round.
 * Values documented as a whole (`wholes`: a resources block, probes, the config map) are Kubernetes or
 * app shapes whose optional fields need no default, so the walk stops there.
 */
function outOfStep(map: YAMLMap, node: Schema, prefix: string, wholes: ReadonlySet<string>): string[] {
  const props = node.properties;
  if (!props) return [];
  const keys = map.items.flatMap((p) => (isPair(p) ? [String((p.key as { value: unknown }).value)] : []));
  const missingInSchema = keys.filter((k) => !(k in props)).map((k) => `not in the schema: ${prefix}${k}`);
  const missingInValues = Object.keys(props)
    .filter((k) => !keys.includes(k) && !(prefix === '' && k === 'global'))
    .map((k) => `not in values.yaml: ${prefix}${k}`);
  const nested = map.items.flatMap((p) => {
    if (!isPair(p) || !isMap(p.value)) return [];
    const k = String((p.key as { value: unknown }).value);
    const child = `${prefix}${k}`;
    return props[k] && !wholes.has(child) ? outOfStep(p.value, props[k], `${child}.`, wholes) : [];
  });
  return [...missingInSchema, ...missingInValues, ...nested];
}

describe('values.yaml and values.schema.json', () => {
  it('document every value with a `# --` comment (on it or the value that holds it)', () => {
    const paths = documented(valuesDoc.contents as YAMLMap, '', false);
    expect(paths.length).toBeGreaterThan(150);
    expect(paths.filter(([, ok]) => !ok).map(([p]) => p)).toEqual([]);
  });

  it('name the same keys, in both directions', () => {
    const wholes = new Set(documented(valuesDoc.contents as YAMLMap, '', false).map(([p]) => p));
    expect(wholes).toContain('worker.resources');
    expect(outOfStep(valuesDoc.contents as YAMLMap, schema, '', wholes)).toEqual([]);
  });

  it('would notice an undocumented value and a key the schema lacks', () => {
    const doc = parseDocument('a:\n  # -- documented\n  b: 1\n  c: 2\n');
    expect(documented(doc.contents as YAMLMap, '', false)).toEqual([
      ['a.b', true],
      ['a.c', false],
    ]);
    expect(
      outOfStep(
        doc.contents as YAMLMap,
        { properties: { a: { properties: { b: {}, d: {} } } } },
        '',
        new Set(),
      ),
    ).toEqual(['not in the schema: a.c', 'not in values.yaml: a.d']);
  });
});
