/**
 * The front door in the chart (`ingest.enabled`): its Deployment, Service, tenants Secret and the optional
 * Ingress, HPA, ServiceMonitor, PrometheusRule and NetworkPolicy, as the real helm renders them. Besides
 * schema validity: the pod's environment loads with the app's own config parser, the tenants JSON with
 * its own tenants parser, and no worker selector matches an ingest pod (nor the other way round).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IIngress, INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IConfigMap, IContainer, IEnvVar, IPodSpec, ISecret, IService } from 'kubernetes-models/v1';
import type {
  IPrometheusRule,
  IServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { loadConfig } from '../../src/config/load.js';
import { parseTenants } from '../../src/tenants/tenants.js';
import { sign } from '../../src/ingest/signature.js';
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
  type RenderOptions,
} from '../helpers/helm.js';
import { validateObject } from '../helpers/k8s-schema.js';

const run = promisify(execFile);

const ACME_SECRET = 'acme-webhook-secret-0123456789';
const TENANTS = {
  acme: { secret: ACME_SECRET },
  globex: { secrets: ['globex-new-secret-0123', 'globex-old-secret-0123'], require_timestamp: true },
};
const INGEST: Overrides = { 'ingest.enabled': true, 'tenants.inline': TENANTS };

const MATRIX: Record<string, { values: Overrides; opts?: RenderOptions }> = {
  'inline tenants': { values: INGEST },
  'existing tenants Secret': {
    values: {
      'ingest.enabled': true,
      'tenants.existingSecret': 'webhook-tenants',
      'secrets.existingSecret': 'enhancer-dev',
    },
  },
  'the older ingest.tenants': { values: { 'ingest.enabled': true, 'ingest.tenants.inline': TENANTS } },
  'HPA on': {
    values: {
      ...INGEST,
      'ingest.autoscaling.enabled': true,
      'ingest.autoscaling.minReplicas': 3,
      'ingest.autoscaling.targetCPUUtilizationPercentage': 60,
    },
    opts: { apiVersions: KEDA_APIS },
  },
  'Ingress on': {
    values: {
      ...INGEST,
      'ingest.ingress.enabled': true,
      'ingest.ingress.className': 'nginx',
      'ingest.ingress.annotations': { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
      'ingest.ingress.hosts': ['hooks.example.com'],
      'ingest.ingress.tls': [{ secretName: 'hooks-tls', hosts: ['hooks.example.com'] }],
    },
  },
  'monitoring on': {
    values: { ...INGEST, 'serviceMonitor.enabled': true, 'prometheusRule.enabled': true },
    opts: { apiVersions: OPERATOR_APIS },
  },
  'NetworkPolicy on': {
    values: {
      ...INGEST,
      'networkPolicy.enabled': true,
      'networkPolicy.kubernetesApi.cidrs': ['10.96.0.1/32'],
      'networkPolicy.metricsFrom': [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }],
      'ingest.networkPolicy.from': [{ namespaceSelector: { matchLabels: { name: 'ingress-nginx' } } }],
    },
  },
  'Kubernetes 1.29': { values: INGEST, opts: { kubeVersion: '1.29.0' } },
};

const rendered = new Map<string, K8sObject[]>();
const lints = new Map<string, { code: number; stdout: string; stderr: string }>();

beforeAll(async () => {
  await helmBinary();
  await Promise.all(
    Object.entries(MATRIX).map(async ([name, { values, opts }]) => {
      lints.set(name, await lintChart(values));
      rendered.set(name, await renderChart(values, opts));
    }),
  );
}, 120_000);

const objects = (name: string) => rendered.get(name)!;
const get = <T>(name: string, kind: string, suffix: string) =>
  find(objects(name), kind, suffix) as unknown as T;
const kinds = (name: string) => objects(name).map((o) => `${o.kind} ${o.metadata.name}`);
const ingestDeployment = (name: string) => get<IDeployment>(name, 'Deployment', '-ingest');
const workerDeployment = (name: string) => get<IDeployment>(name, 'Deployment', 'rel-enhancer');
const podOf = (d: IDeployment): IPodSpec => d.spec!.template.spec!;
const containerOf = (d: IDeployment): IContainer => podOf(d).containers[0]!;
const podLabels = (d: IDeployment) => d.spec!.template.metadata!.labels!;
const envOf = (env: IEnvVar[] | undefined) =>
  Object.fromEntries((env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
/** Whether a matchLabels selector selects an object with these labels. */
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.each(Object.keys(MATRIX))('ingest, %s', (name) => {
  it('passes helm lint --strict', () => {
    const lint = lints.get(name)!;
    expect(`${lint.stdout}${lint.stderr}`).toContain('0 chart(s) failed');
    expect(lint.code).toBe(0);
  });

  it('renders only objects that are valid against their schemas, ingest ones labelled as such', () => {
    for (const obj of objects(name)) validateObject(obj);
    const ingest = objects(name).filter((o) => o.metadata.name.startsWith('rel-enhancer-ingest'));
    expect(ingest.length).toBeGreaterThanOrEqual(4);
    for (const obj of ingest) {
      expect(obj.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'enhancer',
        'app.kubernetes.io/instance': 'rel',
        'app.kubernetes.io/component': 'ingest',
      });
    }
  });

  it('keeps the worker and ingest selectors apart', () => {
    const worker = workerDeployment(name);
    const ingest = ingestDeployment(name);
    expect(selects(worker.spec!.selector.matchLabels, podLabels(ingest))).toBe(false);
    expect(selects(ingest.spec!.selector.matchLabels, podLabels(worker))).toBe(false);
    expect(selects(ingest.spec!.selector.matchLabels, podLabels(ingest))).toBe(true);
  });
});

describe('ingest off (the default)', () => {
  it('renders nothing of ingest, and the worker selector it had before', async () => {
    const objs = await renderChart();
    expect(objs.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'ingest')).toEqual([]);
    expect(objs.map((o) => o.metadata.name)).not.toContain('rel-enhancer-ingest');
    // A Deployment's selector is immutable: turning ingest on must not change the worker's.
    const before = (find(objs, 'Deployment') as unknown as IDeployment).spec!.selector;
    expect(workerDeployment('inline tenants').spec!.selector).toEqual(before);
    expect(before.matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'worker' });
  });
});

describe('ingest Deployment', () => {
  const name = 'inline tenants';
  const deployment = () => ingestDeployment(name);
  const container = () => containerOf(deployment());

  it('runs `ingest` with the security context of the worker pods', () => {
    expect(container().args).toEqual(['ingest']);
    expect(container().image).toBe(containerOf(workerDeployment(name)).image);
    expect(podOf(deployment()).securityContext).toEqual(podOf(workerDeployment(name)).securityContext);
    expect(podOf(deployment()).securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container().securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    // It never calls the Kubernetes API.
    expect(podOf(deployment()).automountServiceAccountToken).toBe(false);
  });

  it('mounts the tenants Secret as a directory (no subPath) that TENANTS_FILE points into, and /tmp', () => {
    const mounts = container().volumeMounts!;
    expect(mounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    const tenants = mounts.find((m) => m.name === 'tenants')!;
    expect(tenants).toEqual({ name: 'tenants', mountPath: '/etc/enhancer/tenants', readOnly: true });
    expect(mounts.every((m) => m.subPath === undefined && m.subPathExpr === undefined)).toBe(true);
    const file = envOf(container().env).TENANTS_FILE as string;
    expect(path.posix.dirname(file)).toBe(tenants.mountPath);
    const volume = podOf(deployment()).volumes!.find((v) => v.name === 'tenants')!;
    expect(volume.secret).toEqual({
      secretName: 'rel-enhancer-tenants',
      items: [{ key: 'tenants.json', path: path.posix.basename(file) }],
    });
  });

  it('reads AMQP_URL from the Secret and is given no DATABASE_URL', () => {
    const env = envOf(container().env);
    expect(env.AMQP_URL).toEqual({ secretKeyRef: { name: 'rel-enhancer', key: 'AMQP_URL' } });
    expect(env).not.toHaveProperty('DATABASE_URL');
    expect(env.POD_NAME).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    const secretKeys = (container().env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef?.key ?? []);
    expect(secretKeys).toEqual(['AMQP_URL']);
  });

  it("shares the workers' ConfigMap and tenants file, keeps its own INGEST_* settings out of the workers'", () => {
    expect(container().envFrom).toEqual([
      { configMapRef: { name: 'rel-enhancer' } },
      { configMapRef: { name: 'rel-enhancer-ingest' } },
    ]);
    const shared = get<IConfigMap>(name, 'ConfigMap', 'rel-enhancer').data!;
    const own = get<IConfigMap>(name, 'ConfigMap', 'rel-enhancer-ingest').data!;
    expect(own).toEqual({
      INGEST_RATE_PER_TENANT: '50',
      INGEST_DEDUP_SECONDS: '300',
      INGEST_MAX_SKEW_SECONDS: '300',
      OTEL_SERVICE_NAME: 'enhancer-ingest',
    });
    expect(Object.keys(shared).filter((k) => k.startsWith('INGEST_') || k === 'TENANTS_FILE')).toEqual([]);
    const worker = containerOf(workerDeployment(name));
    expect(worker.envFrom).toEqual([{ configMapRef: { name: 'rel-enhancer' } }]);
    expect(Object.keys(envOf(worker.env)).filter((k) => k.startsWith('INGEST_'))).toEqual([]);
    // The workers read the same tenants file (where each tenant's notes are written back), mounted alike.
    expect(envOf(worker.env).TENANTS_FILE).toBe(envOf(container().env).TENANTS_FILE);
    const tenantsVolume = (d: IDeployment) => podOf(d).volumes!.find((v) => v.name === 'tenants');
    expect(tenantsVolume(workerDeployment(name))).toEqual(tenantsVolume(deployment()));
    expect(worker.volumeMounts!.find((m) => m.name === 'tenants')).toEqual(
      container().volumeMounts!.find((m) => m.name === 'tenants'),
    );
  });

  it("gives an environment the app's config loader accepts, on the workers' queue", () => {
    const shared = get<IConfigMap>(name, 'ConfigMap', 'rel-enhancer').data!;
    const own = get<IConfigMap>(name, 'ConfigMap', 'rel-enhancer-ingest').data!;
    const literal = Object.fromEntries(
      (container().env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
    );
    const config = loadConfig({
      ...shared,
      ...own,
      ...literal,
      AMQP_URL: 'amqp://u:p@rabbitmq:5672/%2F',
      POD_NAME: 'rel-enhancer-ingest-0',
    });
    expect(config.ingest).toMatchObject({ port: 8000, tenantsFile: '/etc/enhancer/tenants/tenants.json' });
    expect(config.ingest).toMatchObject({ ratePerSecond: 50, dedupMs: 300_000, maxSkewMs: 300_000 });
    expect(config.queuePrefix).toBe(shared.QUEUE_PREFIX);
    expect(config.deliveryLimit).toBe(Number(shared.QUEUE_DELIVERY_LIMIT));
    expect(config.tracing.serviceName).toBe('enhancer-ingest');
  });

  it('probes /healthz and /readyz on port 8000, named http, behind a ClusterIP Service on 80', () => {
    expect(container().ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    expect(container().livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container().readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'http' });
    const service = get<IService>(name, 'Service', '-ingest').spec!;
    expect(service.type).toBe('ClusterIP');
    expect(service.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(service.selector).toEqual(deployment().spec!.selector.matchLabels);
    const workerService = get<IService>(name, 'Service', 'rel-enhancer').spec!;
    expect(selects(workerService.selector, podLabels(deployment()))).toBe(false);
    expect(selects(service.selector, podLabels(workerDeployment(name)))).toBe(false);
  });

  it('pauses before SIGTERM, within a grace that covers the pause and the 10 s drain', () => {
    expect(container().lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(podOf(deployment()).terminationGracePeriodSeconds).toBe(30);
    expect(podOf(deployment()).terminationGracePeriodSeconds).toBeGreaterThan(5 + 10);
  });

  it("runs the image's sleep instead where the sleep action is not on by default (before 1.30)", () => {
    const old = containerOf(ingestDeployment('Kubernetes 1.29'));
    expect(old.lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '5'] } } });
  });

  it('has no preStop hook with preStopSleepSeconds 0', async () => {
    const objs = await renderChart({ ...INGEST, 'ingest.preStopSleepSeconds': 0 });
    const d = find(objs, 'Deployment', '-ingest') as unknown as IDeployment;
    expect(containerOf(d).lifecycle).toBeUndefined();
  });

  it('has a fixed replica count and a PodDisruptionBudget of its own', () => {
    expect(deployment().spec!.replicas).toBe(2);
    expect(kinds(name)).not.toContain('HorizontalPodAutoscaler rel-enhancer-ingest');
    const pdb = get<IPodDisruptionBudget>(name, 'PodDisruptionBudget', '-ingest').spec!;
    expect(pdb).toEqual({
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
      selector: deployment().spec!.selector,
    });
    const workerPdb = get<IPodDisruptionBudget>(name, 'PodDisruptionBudget', 'rel-enhancer').spec!;
    expect(selects(workerPdb.selector!.matchLabels, podLabels(deployment()))).toBe(false);
  });
});

describe('tenants', () => {
  it('inline: a Secret whose tenants.json the app parses', () => {
    const secret = get<ISecret>('inline tenants', 'Secret', '-tenants');
    const json = secret.stringData!['tenants.json']!;
    expect(JSON.parse(json)).toEqual({ tenants: TENANTS });
    const table = parseTenants(json);
    expect([...table.keys()].sort()).toEqual(['acme', 'globex']);
    expect(table.get('globex')).toMatchObject({ requireTimestamp: true });
  });

  it('the older ingest.tenants: the same Secret, mounted alike into ingest and the workers', () => {
    const name = 'the older ingest.tenants';
    const secret = get<ISecret>(name, 'Secret', '-tenants');
    expect(secret.metadata!.name).toBe('rel-enhancer-tenants');
    expect(JSON.parse(secret.stringData!['tenants.json']!)).toEqual({ tenants: TENANTS });
    for (const d of [ingestDeployment(name), workerDeployment(name)]) {
      expect(podOf(d).volumes!.find((v) => v.name === 'tenants')!.secret!.secretName).toBe(
        'rel-enhancer-tenants',
      );
      expect(envOf(containerOf(d).env).TENANTS_FILE).toBe('/etc/enhancer/tenants/tenants.json');
    }
  });

  it('existing Secret: mounted directly; the chart makes no tenants Secret', () => {
    const name = 'existing tenants Secret';
    expect(objects(name).filter((o) => o.kind === 'Secret')).toEqual([]);
    const d = ingestDeployment(name);
    const volume = podOf(d).volumes!.find((v) => v.name === 'tenants')!;
    expect(volume.secret!.secretName).toBe('webhook-tenants');
    const worker = podOf(workerDeployment(name)).volumes!.find((v) => v.name === 'tenants')!;
    expect(worker.secret!.secretName).toBe('webhook-tenants');
    expect(envOf(containerOf(d).env).AMQP_URL).toEqual({
      secretKeyRef: { name: 'enhancer-dev', key: 'AMQP_URL' },
    });
  });
});

describe('HPA', () => {
  const name = 'HPA on';

  it('scales the ingest Deployment on CPU, which then has no replica count', () => {
    const d = ingestDeployment(name);
    expect(d.spec).not.toHaveProperty('replicas');
    const hpa = get<IHorizontalPodAutoscaler>(name, 'HorizontalPodAutoscaler', '-ingest');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec!.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: d.metadata!.name,
    });
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    expect(hpa.spec!.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
      },
    ]);
    expect(containerOf(d).resources!.requests).toHaveProperty('cpu');
    // The worker keeps its own scaler.
    expect(kinds(name)).toContain('ScaledObject rel-enhancer');
  });
});

describe('Ingress', () => {
  it('routes only POST /webhook/servicedesk of its hosts to the ingest Service, with TLS', () => {
    const name = 'Ingress on';
    const ingress = get<IIngress>(name, 'Ingress', '-ingest');
    expect(ingress.metadata!.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    expect(ingress.spec!.ingressClassName).toBe('nginx');
    expect(ingress.spec!.tls).toEqual([{ secretName: 'hooks-tls', hosts: ['hooks.example.com'] }]);
    const service = get<IService>(name, 'Service', '-ingest');
    expect(ingress.spec!.rules).toEqual([
      {
        host: 'hooks.example.com',
        http: {
          paths: [
            {
              path: '/webhook/servicedesk',
              pathType: 'Exact',
              backend: { service: { name: service.metadata!.name, port: { name: 'http' } } },
            },
          ],
        },
      },
    ]);
    expect(service.spec!.ports!.map((p) => p.name)).toContain('http');
  });

  it('without hosts, answers on any host; off by default', async () => {
    expect(kinds('inline tenants').some((k) => k.startsWith('Ingress'))).toBe(false);
    const objs = await renderChart({ ...INGEST, 'ingest.ingress.enabled': true });
    const ingress = find(objs, 'Ingress', '-ingest') as unknown as IIngress;
    validateObject(ingress as K8sObject);
    expect(ingress.spec!.rules).toHaveLength(1);
    expect(ingress.spec!.rules![0]).not.toHaveProperty('host');
  });
});

describe('monitoring', () => {
  const name = 'monitoring on';

  it('scrapes the ingest Service with a ServiceMonitor of its own; the workers keep theirs', () => {
    const ingest = get<IServiceMonitor>(name, 'ServiceMonitor', '-ingest');
    const worker = get<IServiceMonitor>(name, 'ServiceMonitor', 'rel-enhancer');
    const ingestSvc = get<IService>(name, 'Service', '-ingest');
    const workerSvc = get<IService>(name, 'Service', 'rel-enhancer');
    expect(ingest.spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s', honorLabels: false },
    ]);
    expect(ingestSvc.spec!.ports!.map((p) => p.name)).toContain(ingest.spec.endpoints[0]!.port);
    expect(selects(ingest.spec.selector.matchLabels, ingestSvc.metadata!.labels!)).toBe(true);
    expect(selects(ingest.spec.selector.matchLabels, workerSvc.metadata!.labels!)).toBe(false);
    expect(selects(worker.spec.selector.matchLabels, workerSvc.metadata!.labels!)).toBe(true);
    expect(selects(worker.spec.selector.matchLabels, ingestSvc.metadata!.labels!)).toBe(false);
  });

  it('alerts on the share of webhook 5xx answers, by the ingest job', () => {
    const groups = get<IPrometheusRule>(name, 'PrometheusRule', 'rel-enhancer').spec.groups!;
    expect(groups.map((g) => g.name)).toEqual(['enhancer.rules', 'enhancer-ingest.rules']);
    const [rule] = groups[1]!.rules!;
    expect(rule!.alert).toBe('EnhancerIngestServerErrors');
    expect(rule!.expr).toContain(
      'ingest_requests_total{namespace="jobs", job="rel-enhancer-ingest", code=~"5.."}[10m]',
    );
    expect(rule!.expr).toContain('> 0.05');
    expect(rule!.annotations!.description).toContain('{{ $value | humanizePercentage }}');
  });
});

describe('NetworkPolicy', () => {
  const name = 'NetworkPolicy on';

  it('admits the webhook port from `from` and Prometheus; lets out only RabbitMQ and DNS', () => {
    const policy = get<INetworkPolicy>(name, 'NetworkPolicy', '-ingest').spec!;
    expect(policy.podSelector.matchLabels).toEqual(ingestDeployment(name).spec!.selector.matchLabels);
    expect(policy.ingress).toEqual([
      {
        ports: [{ port: 'http', protocol: 'TCP' }],
        from: [
          { namespaceSelector: { matchLabels: { name: 'ingress-nginx' } } },
          { namespaceSelector: { matchLabels: { name: 'monitoring' } } },
        ],
      },
    ]);
    // No Postgres (5432), no Kubernetes API (443, 6443).
    expect(policy.egress!.map((rule) => (rule.ports ?? []).map((p) => p.port))).toEqual([
      [5672, 5671],
      [53, 53],
    ]);
    const worker = get<INetworkPolicy>(name, 'NetworkPolicy', 'rel-enhancer').spec!;
    expect(selects(worker.podSelector.matchLabels, podLabels(ingestDeployment(name)))).toBe(false);
    expect(selects(policy.podSelector.matchLabels, podLabels(workerDeployment(name)))).toBe(false);
  });

  it('admits anyone by default, and lets out to the OTLP collector when that is on', async () => {
    const objs = await renderChart({
      ...INGEST,
      'networkPolicy.enabled': true,
      'networkPolicy.kubernetesApi.enabled': false,
      'networkPolicy.otlp.enabled': true,
    });
    const policy = (find(objs, 'NetworkPolicy', '-ingest') as unknown as INetworkPolicy).spec!;
    expect(policy.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
    expect(policy.egress!.map((rule) => (rule.ports ?? []).map((p) => p.port))).toEqual([
      [5672, 5671],
      [4317, 4318],
      [53, 53],
    ]);
  });
});

describe('NOTES.txt', () => {
  it('shows how to post a signed ticket, and its signature line signs as the app verifies', async () => {
    const res = await installDryRun(INGEST);
    expect(res.code).toBe(0);
    const notes = res.stdout.slice(res.stdout.indexOf('NOTES:'));
    expect(notes).toContain('kubectl -n jobs port-forward svc/rel-enhancer-ingest 8000:80 &');
    expect(notes).toContain("-H 'X-Tenant-ID: acme'");
    expect(notes).toContain('http://127.0.0.1:8000/webhook/servicedesk');
    const signLine = notes.split('\n').find((l) => l.includes('openssl dgst'))!;
    const { stdout } = await run('bash', ['-c', `${signLine}\nprintf '%s\\n%s\\n%s' "$TS" "$SIG" "$BODY"`], {
      env: { ...process.env, SECRET: ACME_SECRET },
    });
    const [ts, sig, body] = stdout.split('\n');
    expect(`sha256=${sig}`).toBe(sign(ACME_SECRET, Buffer.from(body!), ts));
    expect(JSON.parse(body!)).toMatchObject({ ticket_id: 'T-1' });
    expect(notes).not.toContain('ingest.tenants');
  });

  it('asks to move the older ingest.tenants to tenants', async () => {
    const res = await installDryRun({ 'ingest.enabled': true, 'ingest.tenants.inline': TENANTS });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('NOTE: ingest.tenants is the older name of tenants');
  });

  it('signs as a tenant that has a webhook secret, not one with write-backs only', async () => {
    const res = await installDryRun({
      'ingest.enabled': true,
      'tenants.inline': {
        aaa: { servicedesk: { url: 'https://sdp.aaa.example', token: 'x' } },
        acme: { secret: ACME_SECRET },
      },
    });
    expect(res.stdout).toContain("-H 'X-Tenant-ID: acme'");
  });
});
