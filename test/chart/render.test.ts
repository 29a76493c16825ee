/**
 * The chart as the real helm renders it: lint-clean and schema-valid for the default values and a matrix
 * of options, with the properties the worker depends on (drain time, probes, security, scaling target).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IRole, IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import type { IConfigMap, IEnvVar, ISecret, IService } from 'kubernetes-models/v1';
import type { IScaledObject, ITriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import type {
  IPrometheusRule,
  IServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import {
  find,
  helmBinary,
  installDryRun,
  KEDA_APIS,
  lintChart,
  OPERATOR_APIS,
  renderChart,
  type K8sObject,
  type Overrides,
} from '../helpers/helm.js';
import { validateObject } from '../helpers/k8s-schema.js';

/** A cluster's answer to `networkPolicy.kubernetesApi.cidrs` (required with the NetworkPolicy on). */
const API_SERVER = ['10.96.0.1/32', '172.18.0.2/32'];

/** `defaults` is a cluster with KEDA (keda.enabled auto picks it); the others say what they differ in. */
const MATRIX: Record<string, { values: Overrides; apis?: readonly string[] }> = {
  defaults: { values: {}, apis: KEDA_APIS },
  'no KEDA on the cluster': { values: {} },
  'KEDA and autoscaling off': { values: { 'keda.enabled': false, 'autoscaling.enabled': false } },
  'ServiceMonitor and PrometheusRule on': {
    values: {
      'serviceMonitor.enabled': true,
      'serviceMonitor.labels': { release: 'kube-prometheus-stack' },
      'serviceMonitor.interval': '15s',
      'prometheusRule.enabled': true,
    },
    apis: OPERATOR_APIS,
  },
  'ServiceMonitor on without the API': { values: { 'serviceMonitor.enabled': true } },
  'existing Secret': { values: { 'secrets.existingSecret': 'enhancer-dev' }, apis: KEDA_APIS },
  "the chart's own Secret": {
    values: {
      'secrets.amqpUrl': 'amqp://u:p@rabbitmq:5672/%2F',
      'secrets.databaseUrl': 'postgres://u:p@postgres:5432/enhancer',
      'secrets.rabbitmqManagementUrl': 'http://u:p@rabbitmq:15672/%2F',
    },
  },
  'NetworkPolicy on': {
    values: {
      'networkPolicy.enabled': true,
      'networkPolicy.otlp.enabled': true,
      'networkPolicy.kubernetesApi.cidrs': API_SERVER,
    },
  },
  'a model, tenants with their helpdesks and egress to both': {
    values: {
      'config.LLM_BASE_URL': 'https://api.openai.com/v1',
      'config.LLM_MODEL': 'gpt-4o-mini',
      'llm.apiKey.existingSecret': 'enhancer-llm',
      'tenants.inline': {
        acme: {
          secret: 'acme-webhook-secret-0123456789',
          servicedesk: { url: 'https://sdp.acme.example', token_file: '/etc/enhancer/servicedesk/acme' },
        },
      },
      'worker.extraVolumes': [{ name: 'servicedesk-tokens', secret: { secretName: 'servicedesk-tokens' } }],
      'worker.extraVolumeMounts': [{ name: 'servicedesk-tokens', mountPath: '/etc/enhancer/servicedesk' }],
      'ingest.enabled': true,
      'networkPolicy.enabled': true,
      'networkPolicy.kubernetesApi.cidrs': API_SERVER,
      'networkPolicy.llm.cidrs': ['203.0.113.10/32'],
      'networkPolicy.servicedesk.cidrs': ['198.51.100.0/28'],
      'prometheusRule.enabled': true,
      'grafanaDashboard.enabled': true,
    },
    apis: OPERATOR_APIS,
  },
  'everything off': {
    values: {
      'keda.enabled': false,
      'autoscaling.enabled': false,
      'migrations.enabled': false,
      'serviceAccount.create': false,
      'rbac.create': false,
      'podDisruptionBudget.enabled': false,
    },
  },
};

const rendered = new Map<string, K8sObject[]>();
const lints = new Map<string, { code: number; stdout: string; stderr: string }>();

beforeAll(async () => {
  await helmBinary();
  await Promise.all(
    Object.entries(MATRIX).map(async ([name, { values, apis }]) => {
      lints.set(name, await lintChart(values));
      rendered.set(name, await renderChart(values, { apiVersions: apis }));
    }),
  );
}, 120_000);

const objects = (name: string) => rendered.get(name)!;
/** The one object of a kind in a case, typed as its model (valid: the matrix checks every object). */
const get = <T>(name: string, kind: string, suffix = '') => find(objects(name), kind, suffix) as unknown as T;
const envOf = (env: IEnvVar[] | undefined) =>
  Object.fromEntries((env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const kinds = (name: string) => objects(name).map((o) => o.kind);

describe.each(Object.keys(MATRIX))('%s', (name) => {
  it('passes helm lint --strict', () => {
    const lint = lints.get(name)!;
    expect(`${lint.stdout}${lint.stderr}`).toContain('0 chart(s) failed');
    expect(lint.code).toBe(0);
  });

  it('renders only objects that are valid against their schemas', () => {
    expect(objects(name).length).toBeGreaterThan(3);
    for (const obj of objects(name)) validateObject(obj);
  });

  it('labels every object with the release', () => {
    for (const obj of objects(name)) {
      expect(obj.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'enhancer',
        'app.kubernetes.io/instance': 'rel',
      });
    }
  });
});

describe('worker Deployment (defaults)', () => {
  const deployment = () => get<IDeployment>('defaults', 'Deployment');
  const pod = () => deployment().spec!.template.spec!;
  const container = () => pod().containers[0]!;
  const config = () => get<IConfigMap>('defaults', 'ConfigMap').data!;

  it('runs the worker command of the image as a non-root user on a read-only root filesystem', () => {
    expect(container().image).toBe('enhancer:0.1.0');
    expect(container().args).toEqual(['worker']);
    expect(pod().securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod().securityContext!.runAsUser).toBeGreaterThan(0);
    expect(container().securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('mounts a writable /tmp, the only place it may write', () => {
    expect(container().volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod().volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it('gives a draining pod longer than the drain time, which covers the job deadline', () => {
    const graceMs = pod().terminationGracePeriodSeconds! * 1000;
    expect(pod().terminationGracePeriodSeconds).toBe(150);
    expect(Number(config().SHUTDOWN_GRACE_MS)).toBeGreaterThanOrEqual(Number(config().JOB_TIMEOUT_MS));
    expect(graceMs).toBeGreaterThan(Number(config().SHUTDOWN_GRACE_MS));
    expect(graceMs).toBeGreaterThan(Number(config().JOB_TIMEOUT_MS));
  });

  it('probes /healthz and /readyz on the port the worker serves', () => {
    expect(container().ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container().livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container().readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container().livenessProbe!.timeoutSeconds).toBeGreaterThan(0);
  });

  it('takes its settings from the ConfigMap, the secrets from the Secret, its identity from the downward API', () => {
    expect(container().envFrom).toEqual([{ configMapRef: { name: 'rel-enhancer' } }]);
    expect(envOf(container().env)).toMatchObject({
      HTTP_PORT: '8080',
      NODE_OPTIONS: '--max-semi-space-size=4',
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
      POD_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      POD_UID: { fieldRef: { fieldPath: 'metadata.uid' } },
      AMQP_URL: { secretKeyRef: { name: 'rel-enhancer', key: 'AMQP_URL' } },
      DATABASE_URL: { secretKeyRef: { name: 'rel-enhancer', key: 'DATABASE_URL' } },
    });
    expect(config()).toMatchObject({
      QUEUE_PREFIX: 'enhancement',
      WORKER_CONCURRENCY: '8',
      LOG_LEVEL: 'info',
    });
    // Empty values are left out so the worker's defaults apply; none may hold a secret.
    expect(config()).not.toHaveProperty('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(config()).not.toHaveProperty('AMQP_URL');
    expect(config().LEASE_NAME).toBe('rel-enhancer-janitor');
  });

  it('leaves the replica count to KEDA', () => {
    expect(deployment().spec).not.toHaveProperty('replicas');
    expect(deployment().spec!.revisionHistoryLimit).toBe(10);
  });

  it('runs under a ServiceAccount whose Role grants only Leases and Events', () => {
    expect(pod().serviceAccountName).toBe('rel-enhancer');
    expect(get<IRole>('defaults', 'Role').rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    expect(get<IRoleBinding>('defaults', 'RoleBinding').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'rel-enhancer', namespace: 'jobs' },
    ]);
  });

  it('is selected by its Service and PodDisruptionBudget', () => {
    const podLabels = deployment().spec!.template.metadata!.labels;
    const selector = deployment().spec!.selector.matchLabels;
    const service = get<IService>('defaults', 'Service').spec!;
    expect(podLabels).toMatchObject(selector!);
    expect(service.selector).toEqual(selector);
    expect(service.ports).toEqual([{ name: 'metrics', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    // A drain may evict pods that are not ready (broker or database down), so it does not stall in an outage.
    expect(get<IPodDisruptionBudget>('defaults', 'PodDisruptionBudget').spec).toEqual({
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
      selector: { matchLabels: selector },
    });
  });
});

describe('migrations', () => {
  it('run `enhancer migrate` as a pre-install,pre-upgrade hook with DATABASE_URL from a hook Secret', () => {
    const job = get<IJob>('defaults', 'Job');
    expect(job.metadata!.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade' });
    expect(job.spec!.backoffLimit).toBe(3);
    // Below helm's default --timeout (300 s), so a failing Job fails the install with its own reason.
    expect(job.spec!.activeDeadlineSeconds).toBe(240);
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container.args).toEqual(['migrate']);
    expect(container.securityContext!.readOnlyRootFilesystem).toBe(true);
    const hookSecret = get<ISecret>('defaults', 'Secret', '-migrations');
    expect(envOf(container.env).DATABASE_URL).toEqual({
      secretKeyRef: { name: hookSecret.metadata!.name, key: 'DATABASE_URL' },
    });
    // The hook Secret must exist before the Job: a lower weight of the same hooks.
    expect(hookSecret.metadata!.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '-10',
    });
  });

  it('read an existing Secret directly, and the chart then makes no Secret', () => {
    const name = 'existing Secret';
    expect(kinds(name)).not.toContain('Secret');
    const job = get<IJob>(name, 'Job').spec!.template.spec!.containers[0]!;
    expect(envOf(job.env).DATABASE_URL).toEqual({
      secretKeyRef: { name: 'enhancer-dev', key: 'DATABASE_URL' },
    });
    const worker = get<IDeployment>(name, 'Deployment').spec!.template.spec!.containers[0]!;
    const refs = (worker.env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef?.name ?? []);
    expect(refs).toEqual(['enhancer-dev', 'enhancer-dev']);
    expect(kinds(name)).not.toContain('Secret');
    expect(get<ITriggerAuthentication>(name, 'TriggerAuthentication').spec.secretTargetRef?.[0]?.name).toBe(
      'enhancer-dev',
    );
  });
});

describe('secrets', () => {
  it("the chart's own Secret holds the three URLs", () => {
    const name = "the chart's own Secret";
    expect(get<ISecret>(name, 'Secret', 'rel-enhancer').stringData).toEqual({
      AMQP_URL: 'amqp://u:p@rabbitmq:5672/%2F',
      DATABASE_URL: 'postgres://u:p@postgres:5432/enhancer',
      RABBITMQ_MANAGEMENT_URL: 'http://u:p@rabbitmq:15672/%2F',
    });
    expect(get<ISecret>(name, 'Secret', '-migrations').stringData).toEqual({
      DATABASE_URL: 'postgres://u:p@postgres:5432/enhancer',
    });
  });
});

describe('KEDA', () => {
  const scaled = () => get<IScaledObject>('defaults', 'ScaledObject').spec;

  it('scales the Deployment on the depth of P.jobs through the management API', () => {
    expect(scaled().scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'rel-enhancer',
    });
    expect(scaled()).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 20, pollingInterval: 15 });
    expect(scaled().triggers).toEqual([
      {
        type: 'rabbitmq',
        metadata: {
          protocol: 'http',
          queueName: 'enhancement.jobs',
          mode: 'QueueLength',
          value: '20',
          // KEDA activates when the count is above this: one job must wake a deployment at zero.
          activationValue: '0',
        },
        authenticationRef: { name: 'rel-enhancer-rabbitmq' },
      },
    ]);
    const auth = get<ITriggerAuthentication>('defaults', 'TriggerAuthentication');
    expect(auth.metadata!.name).toBe('rel-enhancer-rabbitmq');
    expect(auth.spec.secretTargetRef).toEqual([
      { parameter: 'host', name: 'rel-enhancer', key: 'RABBITMQ_MANAGEMENT_URL' },
    ]);
  });

  it('scales down slowly, one pod at a time', () => {
    expect(scaled().advanced?.horizontalPodAutoscalerConfig?.behavior?.scaleDown).toEqual({
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Min',
      policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
    });
  });

  it('follows QUEUE_PREFIX', async () => {
    const objs = await renderChart({ 'config.QUEUE_PREFIX': 'tickets-eu' }, { apiVersions: KEDA_APIS });
    const spec = (find(objs, 'ScaledObject') as unknown as IScaledObject).spec;
    expect(spec.triggers[0]!.metadata).toMatchObject({ queueName: 'tickets-eu.jobs' });
  });

  it('without KEDA on the cluster: a CPU HorizontalPodAutoscaler that drains slowly, no KEDA objects', () => {
    const name = 'no KEDA on the cluster';
    expect(kinds(name)).not.toContain('ScaledObject');
    expect(kinds(name)).not.toContain('TriggerAuthentication');
    expect(get<IDeployment>(name, 'Deployment').spec).not.toHaveProperty('replicas');
    const hpa = get<IHorizontalPodAutoscaler>(name, 'HorizontalPodAutoscaler').spec!;
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'rel-enhancer' });
    expect(hpa).toMatchObject({ minReplicas: 2, maxReplicas: 10 });
    expect(hpa.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
    expect(hpa.behavior).toEqual({
      scaleDown: {
        stabilizationWindowSeconds: 300,
        selectPolicy: 'Min',
        policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
      },
    });
    expect(kinds('defaults')).not.toContain('HorizontalPodAutoscaler');
  });

  it('off, and autoscaling off: no scaler, a fixed replica count', () => {
    const name = 'KEDA and autoscaling off';
    expect(kinds(name)).not.toContain('ScaledObject');
    expect(kinds(name)).not.toContain('HorizontalPodAutoscaler');
    expect(get<IDeployment>(name, 'Deployment').spec!.replicas).toBe(2);
  });
});

describe('monitoring', () => {
  const name = 'ServiceMonitor and PrometheusRule on';

  it('makes a ServiceMonitor with the configured interval and labels on the metrics port', () => {
    const monitor = get<IServiceMonitor>(name, 'ServiceMonitor');
    expect(monitor.metadata!.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    expect(monitor.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s', honorLabels: false },
    ]);
    expect(monitor.metadata!.namespace).toBe('jobs');
    expect(monitor.spec.selector.matchLabels).toEqual(get<IService>(name, 'Service').spec!.selector);
  });

  it('alerts on dead letters, failures, deadlines, the janitor, outages, write-backs, the model, context steps, absent workers, backlog and max replicas', () => {
    const rules = get<IPrometheusRule>(name, 'PrometheusRule').spec.groups![0]!.rules!;
    expect(rules.map((r) => r.alert)).toEqual([
      'EnhancerDeadLettersGrowing',
      'EnhancerHighFailureRatio',
      'EnhancerJobsPastDeadline',
      'EnhancerJanitorAbandonedJobs',
      'EnhancerInfrastructureDelays',
      'EnhancerWritebackRejected',
      'EnhancerLlmMisconfigured',
      'EnhancerContextStepTimeouts',
      'EnhancerWorkersAbsent',
      'EnhancerBacklogGrowing',
      'EnhancerReplicasAtMax',
    ]);
    expect(rules[0]!.expr).toContain('enhancement_dead_letters_total{namespace="jobs", job="rel-enhancer"}');
    expect(rules[1]!.expr).toContain('status=~"failed|dead_lettered"');
    expect(rules[2]!.expr).toContain('enhancement_abandoned_attempts_total');
    // Prometheus's own template syntax must survive helm's.
    expect(rules[0]!.annotations!.description).toContain('{{ $value | humanize }}');
  });

  it('blames a pipeline only for attempts abandoned at the deadline, not for what the janitor failed', () => {
    const rules = get<IPrometheusRule>(name, 'PrometheusRule').spec.groups![0]!.rules!;
    const past = rules.find((r) => r.alert === 'EnhancerJobsPastDeadline')!;
    const abandoned = 'enhancement_abandoned_attempts_total{namespace="jobs", job="rel-enhancer"}';
    expect(past.expr).toBe(
      `sum((increase(${abandoned}[15m]) unless (${abandoned} unless ${abandoned} offset 15m)) or (${abandoned} unless ${abandoned} offset 15m)) > 0`,
    );
    expect(past.labels).toEqual({ severity: 'warning' });
    expect(past.annotations!.description).toContain('ignoring its abort signal');

    const janitor = rules.find((r) => r.alert === 'EnhancerJanitorAbandonedJobs')!;
    expect(janitor.expr).toContain(
      'increase(enhancement_janitor_abandoned_total{namespace="jobs", job="rel-enhancer"}[15m])',
    );
    expect(janitor.labels).toEqual({ severity: 'info' });
    const text = janitor.annotations!.description!;
    expect(text).toContain('broker-side dead letters at the delivery limit');
    expect(text).toContain('a backlog longer than the margin');
    expect(text).toContain('JANITOR_MARGIN_MS');
    expect(text).not.toContain('abort signal');
  });

  it('makes no ServiceMonitor where the cluster lacks the API, nor unless enabled', () => {
    expect(kinds('ServiceMonitor on without the API')).not.toContain('ServiceMonitor');
    expect(kinds('defaults')).not.toContain('ServiceMonitor');
    expect(kinds('defaults')).not.toContain('PrometheusRule');
  });
});

describe('NetworkPolicy', () => {
  it('admits only the HTTP port and lets out only RabbitMQ, Postgres, OTLP, the API server and the cluster DNS', () => {
    const policy = get<INetworkPolicy>('NetworkPolicy on', 'NetworkPolicy', 'rel-enhancer').spec!;
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.podSelector.matchLabels).toEqual(
      get<IDeployment>('NetworkPolicy on', 'Deployment').spec!.selector.matchLabels,
    );
    expect(policy.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
    const ports = policy.egress!.map((rule) => (rule.ports ?? []).map((p) => p.port));
    expect(ports).toEqual([[5672, 5671], [5432], [4317, 4318], [443, 6443], [53, 53]]);
    expect(policy.egress![0]!.to).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'rabbitmq' } } },
    ]);
    // The API server only at its own addresses, never any destination on 443.
    expect(policy.egress![3]!.to).toEqual(API_SERVER.map((cidr) => ({ ipBlock: { cidr } })));
    expect(policy.egress![4]!.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
  });

  it('is off by default', () => {
    expect(kinds('defaults')).not.toContain('NetworkPolicy');
  });
});

describe('NOTES.txt', () => {
  it('tells how the workers scale, how to watch the logs and enqueue a job', async () => {
    const res = await installDryRun();
    expect(res.code).toBe(0);
    const notes = res.stdout.slice(res.stdout.indexOf('NOTES:'));
    expect(notes).toContain('logs -f --prefix --max-log-requests 20 -l app.kubernetes.io/instance=rel');
    expect(notes).toContain('exec deployment/rel-enhancer -- \\\n    node dist/cli.js enqueue --tenant-id');
    // helm install cannot be given the cluster's APIs: a dry run has no KEDA.
    expect(notes).toContain(
      'no KEDA API on this cluster, so a CPU HorizontalPodAutoscaler runs 2-10 workers',
    );
    const fixed = await installDryRun({ 'autoscaling.enabled': false });
    expect(fixed.stdout).toContain('Scaling: 2 workers, fixed');
  });
});

describe('everything optional off', () => {
  it('keeps only the worker, its settings, its Secret and its Service', () => {
    expect(kinds('everything off').sort()).toEqual(['ConfigMap', 'Deployment', 'Secret', 'Service']);
    const pod = get<IDeployment>('everything off', 'Deployment').spec!.template.spec!;
    expect(pod.serviceAccountName).toBe('default');
  });
});
