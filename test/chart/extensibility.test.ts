/**
 * The values that make the chart fit a real cluster, as the charts operators already run do: extra env,
 * envFrom, volumes (CA bundles), labels, priority, history, spread, extra objects; per-key Secrets
 * (CloudNativePG's `uri`, the RabbitMQ operator's default-user); KEDA's fallback, pause and credentials;
 * NetworkPolicy peers by address; the PodDisruptionBudget's eviction policy; the ServiceMonitor's knobs.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IContainer, IEnvVar, IPodSpec, IPodTemplateSpec, ISecret } from 'kubernetes-models/v1';
import type { IScaledObject, ITriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { loadConfig } from '../../src/config/load.js';
import {
  find,
  helmBinary,
  KEDA_APIS,
  MONITORING_APIS,
  renderChart,
  templateChart,
  type K8sObject,
  type Overrides,
} from '../helpers/helm.js';
import { validateObject } from '../helpers/k8s-schema.js';

beforeAll(() => helmBinary(), 120_000);

const as = <T>(obj: K8sObject) => obj as unknown as T;
const INGEST: Overrides = {
  'ingest.enabled': true,
  'tenants.inline': { acme: { secret: 'acme-webhook-secret-0123456789' } },
};

/** Every pod template the chart renders: the worker's, ingest's and the migration hook's. */
function podTemplates(objects: K8sObject[]): Record<string, IPodTemplateSpec> {
  return {
    worker: as<IDeployment>(find(objects, 'Deployment', 'rel-enhancer')).spec!.template,
    ingest: as<IDeployment>(find(objects, 'Deployment', '-ingest')).spec!.template,
    migrate: as<IJob>(find(objects, 'Job')).spec!.template,
  };
}
const containerOf = (t: IPodTemplateSpec): IContainer => t.spec!.containers[0]!;
const envNames = (env: IEnvVar[] | undefined) => (env ?? []).map((e) => e.name);

describe('extra env, envFrom and volumes reach every container', () => {
  const CA = { name: 'ca', configMap: { name: 'corporate-ca' } };
  const MOUNT = { name: 'ca', mountPath: '/etc/enhancer/ca', readOnly: true };
  const EXTRA_ENV = [
    { name: 'NODE_EXTRA_CA_CERTS', value: '/etc/enhancer/ca/ca.crt' },
    { name: 'LLM_API_KEY', valueFrom: { secretKeyRef: { name: 'llm', key: 'api-key' } } },
  ];
  let templates: Record<string, IPodTemplateSpec>;
  beforeAll(async () => {
    const objects = await renderChart({
      ...INGEST,
      extraEnv: EXTRA_ENV,
      envFrom: [{ secretRef: { name: 'enhancer-llm' } }],
      extraVolumes: [CA],
      extraVolumeMounts: [MOUNT],
    });
    for (const obj of objects) validateObject(obj);
    templates = podTemplates(objects);
  });

  it.each(['worker', 'ingest', 'migrate'])('%s: after the chart’s own env, valueFrom kept', (name) => {
    const env = containerOf(templates[name]!).env!;
    expect(env.slice(-2)).toEqual(EXTRA_ENV);
    // Each name once: the chart's own variables are not overridden by a duplicate.
    expect(new Set(envNames(env)).size).toBe(env.length);
  });

  it.each(['worker', 'ingest', 'migrate'])(
    '%s: the extra envFrom last, the CA volume mounted beside /tmp',
    (name) => {
      const t = templates[name]!;
      expect(containerOf(t).envFrom!.at(-1)).toEqual({ secretRef: { name: 'enhancer-llm' } });
      expect(t.spec!.volumes).toContainEqual(CA);
      expect(t.spec!.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } });
      expect(containerOf(t).volumeMounts).toContainEqual(MOUNT);
      expect(containerOf(t).volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    },
  );

  it('refuses an extra variable the chart sets itself, and an entry with both value and valueFrom', async () => {
    for (const name of ['DATABASE_URL', 'AMQP_URL', 'NODE_OPTIONS', 'POD_NAME']) {
      const res = await templateChart({ extraEnv: [{ name, value: 'x' }] });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/extraEnv\/0\/name/);
    }
    const both = await templateChart({
      extraEnv: [{ name: 'X', value: 'a', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    });
    expect(both.stderr).toMatch(/extraEnv\/0/);
    expect(both.code).not.toBe(0);
  });
});

describe('labels, priority, history, spread and strategy', () => {
  let objects: K8sObject[];
  const SPREAD = [
    {
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'worker' } },
    },
  ];
  beforeAll(async () => {
    objects = await renderChart(
      {
        ...INGEST,
        commonLabels: { team: 'helpdesk', 'cost-center': 'cx' },
        priorityClassName: 'enhancer-high',
        revisionHistoryLimit: 3,
        'worker.podLabels': { 'sidecar.example.com/inject': 'off' },
        'worker.podAnnotations': { 'prometheus.io/scrape': 'false' },
        'worker.topologySpreadConstraints': SPREAD,
        'worker.strategy': { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        'networkPolicy.enabled': true,
        'networkPolicy.kubernetesApi.cidrs': ['10.0.0.1/32'],
        'serviceMonitor.enabled': true,
        'prometheusRule.enabled': true,
        'grafanaDashboard.enabled': true,
      },
      { apiVersions: [...KEDA_APIS, ...MONITORING_APIS] },
    );
  });

  it('puts commonLabels on every object the chart makes, hooks included', () => {
    expect(objects.length).toBeGreaterThan(20);
    for (const obj of objects) {
      expect(obj.metadata.labels).toMatchObject({ team: 'helpdesk', 'cost-center': 'cx' });
    }
  });

  it('sets priorityClassName on every pod and revisionHistoryLimit on both Deployments', () => {
    const templates = podTemplates(objects);
    for (const t of Object.values(templates)) expect(t.spec!.priorityClassName).toBe('enhancer-high');
    for (const suffix of ['rel-enhancer', '-ingest']) {
      expect(as<IDeployment>(find(objects, 'Deployment', suffix)).spec!.revisionHistoryLimit).toBe(3);
    }
  });

  it('gives the worker pods their labels, annotations, spread and strategy', () => {
    const d = as<IDeployment>(find(objects, 'Deployment', 'rel-enhancer')).spec!;
    expect(d.template.metadata!.labels).toMatchObject({ 'sidecar.example.com/inject': 'off' });
    expect(d.template.metadata!.annotations).toMatchObject({ 'prometheus.io/scrape': 'false' });
    expect((d.template.spec as IPodSpec).topologySpreadConstraints).toEqual(SPREAD);
    expect(d.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  it('refuses pod labels that would change a selector', async () => {
    const res = await templateChart({ 'worker.podLabels': { 'app.kubernetes.io/component': 'x' } });
    expect(res.stderr).toMatch(/invalid propertyName 'app.kubernetes.io\/component'/);
    expect(res.code).not.toBe(0);
  });
});

describe('extraObjects', () => {
  it('renders objects and YAML strings with tpl, in the release namespace', async () => {
    const objects = await renderChart({
      extraObjects: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: '{{ .Release.Name }}-ca' },
          data: { a: 'b' },
        },
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-llm\nstringData:\n  key: x\n',
      ],
    });
    expect(find(objects, 'ConfigMap', 'rel-ca').data).toEqual({ a: 'b' });
    expect(as<ISecret>(find(objects, 'Secret', 'rel-llm')).stringData).toEqual({ key: 'x' });
  });
});

describe('per-key Secrets', () => {
  it('CloudNativePG: DATABASE_URL from <cluster>-app, key uri, for the workers and the hook', async () => {
    const objects = await renderChart({
      'secrets.database.existingSecret': 'pg-app',
      'secrets.database.key': 'uri',
    });
    const templates = podTemplates(
      await renderChart({
        ...INGEST,
        'secrets.database.existingSecret': 'pg-app',
        'secrets.database.key': 'uri',
      }),
    );
    for (const name of ['worker', 'migrate']) {
      const env = containerOf(templates[name]!).env!;
      expect(env.find((e) => e.name === 'DATABASE_URL')!.valueFrom).toEqual({
        secretKeyRef: { name: 'pg-app', key: 'uri' },
      });
    }
    // The chart's own Secret keeps only what still comes inline.
    expect(as<ISecret>(find(objects, 'Secret', 'rel-enhancer')).stringData).not.toHaveProperty(
      'DATABASE_URL',
    );
    expect(objects.map((o) => o.metadata.name)).not.toContain('rel-enhancer-migrations');
  });

  it('a shared existing Secret with keys of other names', async () => {
    const templates = podTemplates(
      await renderChart({
        ...INGEST,
        'secrets.existingSecret': 'app-env',
        'secrets.amqp.key': 'BROKER',
        'secrets.database.key': 'PG',
      }),
    );
    const env = containerOf(templates.worker!).env!;
    expect(env.find((e) => e.name === 'AMQP_URL')!.valueFrom).toEqual({
      secretKeyRef: { name: 'app-env', key: 'BROKER' },
    });
    expect(env.find((e) => e.name === 'DATABASE_URL')!.valueFrom).toEqual({
      secretKeyRef: { name: 'app-env', key: 'PG' },
    });
  });

  describe('the RabbitMQ operator default-user Secret, as it is (secrets.amqp.fromParts)', () => {
    const VALUES: Overrides = {
      ...INGEST,
      'secrets.amqp.existingSecret': 'rabbit-default-user',
      'secrets.amqp.fromParts': true,
      'secrets.amqp.scheme': 'amqps',
      'keda.rabbitmq.host': 'https://rabbit.{{ .Release.Namespace }}.svc:15671/%2F',
    };
    let objects: K8sObject[];
    beforeAll(async () => {
      objects = await renderChart(VALUES, { apiVersions: KEDA_APIS });
    });

    it.each(['worker', 'ingest'])('%s: AMQP_URL composed from username, password, host and port', (name) => {
      const env = containerOf(podTemplates(objects)[name]!).env!;
      const parts = Object.fromEntries(
        env.filter((e) => e.name.startsWith('RABBITMQ_')).map((e) => [e.name, e.valueFrom!.secretKeyRef]),
      );
      expect(parts).toEqual({
        RABBITMQ_HOST: { name: 'rabbit-default-user', key: 'host' },
        RABBITMQ_PASSWORD: { name: 'rabbit-default-user', key: 'password' },
        RABBITMQ_PORT: { name: 'rabbit-default-user', key: 'port' },
        RABBITMQ_USERNAME: { name: 'rabbit-default-user', key: 'username' },
      });
      const amqp = env.find((e) => e.name === 'AMQP_URL')!;
      // $(VAR) refers only to variables defined before it, as Kubernetes requires.
      expect(envNames(env).indexOf('AMQP_URL')).toBeGreaterThan(envNames(env).indexOf('RABBITMQ_PORT'));
      // What the kubelet makes of it with the operator's values, and the app accepts.
      const values: Record<string, string> = {
        RABBITMQ_USERNAME: 'default_user_AbC-_xyz',
        RABBITMQ_PASSWORD: 'Zx9-_PwD',
        RABBITMQ_HOST: 'rabbit.jobs.svc',
        RABBITMQ_PORT: '5671',
      };
      const url = amqp.value!.replace(/\$\((\w+)\)/g, (_m, v: string) => values[v]!);
      expect(url).toBe('amqps://default_user_AbC-_xyz:Zx9-_PwD@rabbit.jobs.svc:5671/%2F');
      expect(() =>
        loadConfig({ AMQP_URL: url, DATABASE_URL: 'postgres://u:p@postgres:5432/enhancer' }),
      ).not.toThrow();
    });

    it('takes another vhost, URL-encoded', async () => {
      const worker = podTemplates(
        await renderChart({ ...VALUES, 'secrets.amqp.vhost': 'jobs%2Feu' }, { apiVersions: KEDA_APIS }),
      ).worker!;
      const amqp = containerOf(worker).env!.find((e) => e.name === 'AMQP_URL')!;
      expect(amqp.value).toBe(
        'amqps://$(RABBITMQ_USERNAME):$(RABBITMQ_PASSWORD)@$(RABBITMQ_HOST):$(RABBITMQ_PORT)/jobs%2Feu',
      );
    });

    it('KEDA gets the same user as TriggerAuthentication parameters, the host without credentials', () => {
      const auth = as<ITriggerAuthentication>(find(objects, 'TriggerAuthentication'));
      expect(auth.spec.secretTargetRef).toEqual([
        { parameter: 'username', name: 'rabbit-default-user', key: 'username' },
        { parameter: 'password', name: 'rabbit-default-user', key: 'password' },
      ]);
      const trigger = as<IScaledObject>(find(objects, 'ScaledObject')).spec.triggers[0]!;
      expect(trigger.metadata).toMatchObject({ protocol: 'http', host: 'https://rabbit.jobs.svc:15671/%2F' });
    });
  });
});

describe('ScaledObject', () => {
  const scaled = async (values: Overrides) =>
    as<IScaledObject>(find(await renderChart(values, { apiVersions: KEDA_APIS }), 'ScaledObject'));

  it('falls back to a fixed count when the scaler keeps failing; 0 turns it off', async () => {
    expect((await scaled({})).spec.fallback).toEqual({ failureThreshold: 3, replicas: 2 });
    expect((await scaled({ 'keda.fallback': { failureThreshold: 5, replicas: 6 } })).spec.fallback).toEqual({
      failureThreshold: 5,
      replicas: 6,
    });
    expect((await scaled({ 'keda.fallback.failureThreshold': 0 })).spec).not.toHaveProperty('fallback');
  });

  it('pauses with keda.paused', async () => {
    expect((await scaled({})).metadata!.annotations).toBeUndefined();
    expect((await scaled({ 'keda.paused': true })).metadata!.annotations).toEqual({
      'autoscaling.keda.sh/paused': 'true',
    });
  });

  it('takes the management user from a Secret of its own, and refuses credentials in the host URL', async () => {
    const objects = await renderChart(
      {
        'keda.rabbitmq.host': 'http://rabbitmq.mq.svc.cluster.local:15672/%2F',
        'keda.rabbitmq.credentials.existingSecret': 'mq-user',
        'keda.rabbitmq.credentials.usernameKey': 'user',
        'keda.rabbitmq.credentials.passwordKey': 'pass',
      },
      { apiVersions: KEDA_APIS },
    );
    expect(as<ITriggerAuthentication>(find(objects, 'TriggerAuthentication')).spec.secretTargetRef).toEqual([
      { parameter: 'username', name: 'mq-user', key: 'user' },
      { parameter: 'password', name: 'mq-user', key: 'pass' },
    ]);
    const res = await templateChart({ 'keda.rabbitmq.host': 'http://guest:guest@rabbitmq:15672/%2F' });
    expect(res.stderr).toMatch(/keda\/rabbitmq\/host/);
    expect(res.code).not.toBe(0);
  });
});

describe('NetworkPolicy', () => {
  const policies = async (values: Overrides) => {
    const objects = await renderChart({
      ...INGEST,
      'networkPolicy.enabled': true,
      'networkPolicy.kubernetesApi.cidrs': ['10.0.0.1/32'],
      ...values,
    });
    return {
      worker: as<INetworkPolicy>(find(objects, 'NetworkPolicy', 'rel-enhancer')).spec!,
      ingest: as<INetworkPolicy>(find(objects, 'NetworkPolicy', '-ingest')).spec!,
      migrate: as<INetworkPolicy>(find(objects, 'NetworkPolicy', '-migrate')).spec!,
    };
  };

  it('adds managed brokers and databases as ipBlock peers, amqps included', async () => {
    const { worker, ingest, migrate } = await policies({
      'networkPolicy.rabbitmq.to': [],
      'networkPolicy.rabbitmq.cidrs': ['192.0.2.10/32'],
      'networkPolicy.postgres.cidrs': ['198.51.100.0/28'],
      'networkPolicy.otlp.enabled': true,
      'networkPolicy.otlp.cidrs': ['203.0.113.7/32'],
    });
    expect(worker.egress![2]!.to).toEqual([{ ipBlock: { cidr: '203.0.113.7/32' } }]);
    expect(ingest.egress![1]!.to).toEqual([{ ipBlock: { cidr: '203.0.113.7/32' } }]);
    expect(worker.egress![0]).toEqual({
      ports: [
        { port: 5672, protocol: 'TCP' },
        { port: 5671, protocol: 'TCP' },
      ],
      to: [{ ipBlock: { cidr: '192.0.2.10/32' } }],
    });
    expect(ingest.egress![0]!.to).toEqual([{ ipBlock: { cidr: '192.0.2.10/32' } }]);
    const pg = [
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgresql' } } },
      { ipBlock: { cidr: '198.51.100.0/28' } },
    ];
    expect(worker.egress![1]!.to).toEqual(pg);
    expect(migrate.egress![0]!.to).toEqual(pg);
  });

  it('sends DNS to the cluster DNS only, or anywhere when its peers are emptied', async () => {
    const { worker } = await policies({});
    expect(worker.egress!.at(-1)!.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
    const open = await policies({ 'networkPolicy.dns.to': [] });
    expect(open.worker.egress!.at(-1)).toEqual({
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
    const none = await policies({ 'networkPolicy.dns.enabled': false });
    expect(none.worker.egress!.flatMap((r) => r.ports!.map((p) => p.port))).not.toContain(53);
  });

  it('leaves the API server out when kubernetesApi is off', async () => {
    const { worker } = await policies({ 'networkPolicy.kubernetesApi.enabled': false });
    expect(worker.egress!.flatMap((r) => r.ports!.map((p) => p.port))).not.toContain(443);
  });
});

describe('the CPU autoscaler without KEDA', () => {
  it('takes its range, target and scale-down from the values', async () => {
    const objects = await renderChart({
      'autoscaling.minReplicas': 3,
      'autoscaling.maxReplicas': 30,
      'autoscaling.targetCPUUtilizationPercentage': 50,
      'autoscaling.scaleDown': {
        stabilizationWindowSeconds: 600,
        policies: [{ type: 'Percent', value: 10, periodSeconds: 120 }],
      },
    });
    const hpa = find(objects, 'HorizontalPodAutoscaler');
    validateObject(hpa);
    expect(hpa.spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 30,
      metrics: [{ resource: { target: { averageUtilization: 50 } } }],
      behavior: {
        scaleDown: {
          stabilizationWindowSeconds: 600,
          policies: [{ type: 'Percent', value: 10, periodSeconds: 120 }],
        },
      },
    });
  });
});

describe('PodDisruptionBudget', () => {
  it('lets drains evict unhealthy pods (AlwaysAllow) from Kubernetes 1.27, as configured', async () => {
    const pdb = async (values: Overrides, kubeVersion?: string) =>
      as<IPodDisruptionBudget>(
        find(
          await renderChart({ ...INGEST, ...values }, { kubeVersion }),
          'PodDisruptionBudget',
          'rel-enhancer',
        ),
      ).spec!;
    expect((await pdb({})).unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    expect(
      (await pdb({ 'podDisruptionBudget.unhealthyPodEvictionPolicy': 'IfHealthyBudget' }))
        .unhealthyPodEvictionPolicy,
    ).toBe('IfHealthyBudget');
    expect(await pdb({}, '1.26.0')).not.toHaveProperty('unhealthyPodEvictionPolicy');
    const ingest = as<IPodDisruptionBudget>(
      find(await renderChart(INGEST), 'PodDisruptionBudget', '-ingest'),
    ).spec!;
    expect(ingest.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
  });
});

describe('ServiceMonitor', () => {
  it('takes a namespace, honorLabels, relabelings and metricRelabelings, for the workers and ingest', async () => {
    const relabelings = [
      { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
    ];
    const metricRelabelings = [{ action: 'drop', sourceLabels: ['__name__'], regex: 'nodejs_.*' }];
    const objects = await renderChart(
      {
        ...INGEST,
        'serviceMonitor.enabled': true,
        'serviceMonitor.namespace': 'monitoring',
        'serviceMonitor.honorLabels': true,
        'serviceMonitor.relabelings': relabelings,
        'serviceMonitor.metricRelabelings': metricRelabelings,
      },
      { apiVersions: MONITORING_APIS },
    );
    for (const suffix of ['rel-enhancer', '-ingest']) {
      const monitor = as<IServiceMonitor>(find(objects, 'ServiceMonitor', suffix));
      validateObject(monitor as K8sObject);
      expect(monitor.metadata!.namespace).toBe('monitoring');
      // Still the release's namespace it watches.
      expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['jobs'] });
      expect(monitor.spec.endpoints[0]).toMatchObject({ honorLabels: true, relabelings, metricRelabelings });
    }
  });
});
