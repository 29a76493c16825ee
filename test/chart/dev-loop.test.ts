/**
 * The dev loop's files agree with each other and with the chart: skaffold.yaml deploys k8s/ before
 * charts/enhancer with k8s/dev-values.yaml; every k8s/ object is schema-valid, non-root and
 * namespace-agnostic; the chart rendered with the dev values uses exactly what k8s/ provides.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ScaledObject,
  type IScaledObject,
  type ITriggerAuthentication,
} from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { Secret, Service, type ISecret, type IService } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema } from '../../src/config/schema.js';
import { loadConfig } from '../../src/config/load.js';
import { parseTenants } from '../../src/tenants/tenants.js';
import {
  find,
  KEDA_APIS,
  renderChart,
  templateChart,
  type K8sObject,
  type Overrides,
} from '../helpers/helm.js';

/** The parts of a skaffold config these tests read. */
interface SkaffoldConfig {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  requires?: { configs: string[] }[];
  manifests?: { kustomize?: { paths: string[] } };
  build?: { local?: { push?: boolean }; artifacts: unknown[] };
  deploy: {
    kubectl?: { hooks?: { after?: { host: { command: string[] } }[] } };
    helm?: { releases: { chartPath: string; valuesFiles: string[]; setValueTemplates: unknown }[] };
  };
  portForward?: unknown[];
  profiles?: { name: string; patches: { op: string; path: string; value: Record<string, unknown> }[] }[];
}

interface DevValues {
  fullnameOverride: string;
  secrets: { existingSecret: string };
  config: Record<string, unknown>;
  keda: { enabled: boolean; rabbitmq: { host: string; credentials: { existingSecret: string } } };
}

const ROOT = path.resolve(__dirname, '../..');
const text = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const readAll = (file: string): unknown[] => parseAllDocuments(text(file)).map((d) => d.toJS() as unknown);

const kustomization = parse(text('k8s/kustomization.yaml')) as { resources: string[]; namespace?: string };
const k8sObjects = kustomization.resources.flatMap((f) => readAll(`k8s/${f}`)) as K8sObject[];
const devValues = parse(text('k8s/dev-values.yaml')) as DevValues;
const byKind = (kind: string) => k8sObjects.filter((o) => o.kind === kind);
const named = (kind: string, name: string): unknown => {
  const hit = k8sObjects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!hit) throw new Error(`k8s/ has no ${kind}/${name}`);
  return hit;
};
const deployment = (name: string) => new Deployment(named('Deployment', name) as IDeployment);
const service = (name: string) => new Service(named('Service', name) as IService);
const secretData = (name: string) => new Secret(named('Secret', name) as ISecret).stringData ?? {};
const secretKeys = (name: string) => Object.keys(secretData(name)).sort();

describe('skaffold.yaml', () => {
  const [deps, app] = readAll('skaffold.yaml') as [SkaffoldConfig, SkaffoldConfig];

  it('is two current-schema configs, the backing services required by the app', () => {
    for (const cfg of [deps, app]) {
      expect(cfg.apiVersion).toMatch(/^skaffold\/v4beta\d+$/);
      expect(cfg.kind).toBe('Config');
    }
    expect(deps.metadata.name).toBe('enhancer-deps');
    expect(app.metadata.name).toBe('enhancer');
    expect(app.requires).toEqual([{ configs: ['enhancer-deps'] }]);
  });

  it('applies k8s/ with kubectl and waits for RabbitMQ and Postgres before the chart', () => {
    expect(deps.manifests?.kustomize?.paths).toEqual(['k8s']);
    expect(deps.deploy.helm).toBeUndefined();
    const after = deps.deploy.kubectl?.hooks?.after ?? [];
    const hook = after.map((h) => h.host.command.join(' ')).join('\n');
    expect(hook).toMatch(
      /kubectl .*wait --for=condition=Available deployment\/rabbitmq deployment\/postgres/,
    );
  });

  it('builds the enhancer image locally for kind and installs the chart with the dev values', () => {
    expect(app.build?.local?.push).toBe(false);
    expect(app.build?.artifacts).toEqual([{ image: 'enhancer', docker: { dockerfile: 'Dockerfile' } }]);
    expect(existsSync(path.join(ROOT, 'Dockerfile'))).toBe(true);
    const [release, ...others] = app.deploy.helm?.releases ?? [];
    expect(others).toEqual([]);
    if (!release) throw new Error('no helm release');
    expect(release.chartPath).toBe('charts/enhancer');
    expect(existsSync(path.join(ROOT, release.chartPath, 'Chart.yaml'))).toBe(true);
    expect(release.valuesFiles).toEqual(['k8s/dev-values.yaml']);
    expect(release.setValueTemplates).toEqual({
      'image.repository': '{{.IMAGE_REPO_enhancer}}',
      'image.tag': '{{.IMAGE_TAG_enhancer}}',
    });
  });

  it('has a no-keda profile: no KEDA, no autoscaler, one worker, and the chart renders without the KEDA API', async () => {
    const profile = app.profiles?.find((p) => p.name === 'no-keda');
    expect(profile?.patches).toEqual([
      {
        op: 'add',
        path: '/deploy/helm/releases/0/setValues',
        value: { 'keda.enabled': false, 'autoscaling.enabled': false, 'worker.replicas': 1 },
      },
    ]);
    const objects = await renderChart({
      ...(devValues as unknown as Overrides),
      ...profile!.patches[0]!.value,
    });
    expect(objects.map((o) => o.kind)).not.toContain('ScaledObject');
    expect(objects.map((o) => o.kind)).not.toContain('HorizontalPodAutoscaler');
    const worker = new Deployment(find(objects, 'Deployment', 'enhancer'));
    expect(worker.spec?.replicas).toBe(1);
  });

  it('says what to install first when the dev values meet a cluster without KEDA', async () => {
    const res = await templateChart(devValues as unknown as Overrides);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/keda.enabled is true but this cluster does not serve keda.sh\/v1alpha1/);
    expect(res.stderr).toContain('helm install keda keda --repo https://kedacore.github.io/charts');
  });

  it('port-forwards the worker metrics, the webhook and the RabbitMQ management UI', () => {
    expect(app.portForward).toEqual([
      { resourceType: 'service', resourceName: 'enhancer', port: 8080, localPort: 8080 },
      { resourceType: 'service', resourceName: 'enhancer-ingest', port: 80, localPort: 8000 },
      { resourceType: 'service', resourceName: 'rabbitmq', port: 15672, localPort: 15672 },
    ]);
  });
});

describe('k8s/', () => {
  it('lists every manifest in its kustomization and pins no namespace', () => {
    expect([...kustomization.resources].sort()).toEqual(['postgres.yaml', 'rabbitmq.yaml', 'secrets.yaml']);
    expect(kustomization.namespace).toBeUndefined();
    for (const obj of k8sObjects) expect(obj.metadata.namespace).toBeUndefined();
    expect(k8sObjects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/postgres',
      'Deployment/rabbitmq',
      'Secret/enhancer-dev',
      'Secret/enhancer-dev-tenants',
      'Secret/postgres-dev',
      'Secret/rabbitmq-dev-user',
      'Service/postgres',
      'Service/rabbitmq',
    ]);
  });

  it('holds only schema-valid objects', () => {
    for (const obj of byKind('Deployment'))
      expect(() => new Deployment(obj as IDeployment).validate()).not.toThrow();
    for (const obj of byKind('Service')) expect(() => new Service(obj as IService).validate()).not.toThrow();
    for (const obj of byKind('Secret')) expect(() => new Secret(obj as ISecret).validate()).not.toThrow();
  });

  it.each([
    ['rabbitmq', 'rabbitmq:3.13-management', '/var/lib/rabbitmq'],
    ['postgres', 'postgres:15', '/var/lib/postgresql/data'],
  ])('runs %s as one non-root replica on an emptyDir, with a readiness probe', (name, image, dataPath) => {
    const spec = deployment(name).spec!;
    expect(spec.replicas).toBe(1);
    expect(spec.strategy?.type).toBe('Recreate');
    const pod = spec.template.spec!;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      fsGroup: pod.securityContext?.runAsUser,
    });
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    const [container] = pod.containers;
    expect(container?.image).toBe(image);
    expect(container?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container?.readinessProbe).toBeDefined();
    const data = container?.volumeMounts?.find((m) => m.mountPath === dataPath);
    expect(pod.volumes?.find((v) => v.name === data?.name)).toEqual({ name: data?.name, emptyDir: {} });
  });

  it.each([
    ['rabbitmq', { amqp: 5672, management: 15672 }],
    ['postgres', { postgres: 5432 }],
  ])('exposes %s on a Service that selects its pods by named ports', (name, ports) => {
    const spec = service(name).spec!;
    const pod = deployment(name).spec!.template;
    expect(pod.metadata?.labels).toMatchObject(spec.selector!);
    const containerPorts = pod.spec!.containers[0]!.ports ?? [];
    expect(Object.fromEntries(containerPorts.map((p) => [p.name, p.containerPort]))).toEqual(ports);
    expect(Object.fromEntries((spec.ports ?? []).map((p) => [p.name, p.port]))).toEqual(ports);
    for (const p of spec.ports ?? []) expect(p.targetPort).toBe(p.name);
  });

  it('gives the chart the URLs of these Services, and KEDA a management user the broker knows', () => {
    expect(secretKeys('enhancer-dev')).toEqual(['AMQP_URL', 'DATABASE_URL']);
    const env = secretData('enhancer-dev');
    const amqp = new URL(env.AMQP_URL!);
    const db = new URL(env.DATABASE_URL!);
    expect([amqp.protocol, amqp.host]).toEqual(['amqp:', 'rabbitmq:5672']);
    expect([db.protocol, db.host, db.pathname]).toEqual(['postgres:', 'postgres:5432', '/enhancer']);
    expect(db.password).toBe(secretData('postgres-dev').POSTGRES_PASSWORD);
    // The shape of the RabbitMQ operator's <cluster>-default-user; the dev broker's user is guest.
    expect(secretData('rabbitmq-dev-user')).toEqual({ username: amqp.username, password: amqp.password });
    const postgresEnv = deployment('postgres').spec!.template.spec!.containers[0]!.env;
    expect(postgresEnv).toContainEqual({ name: 'POSTGRES_DB', value: 'enhancer' });
  });
});

describe('k8s/dev-values.yaml', () => {
  it('names the Secret and a fixed fullname, and sets only worker variables the config accepts', () => {
    expect(devValues.fullnameOverride).toBe('enhancer');
    expect(devValues.secrets).toEqual({ existingSecret: 'enhancer-dev' });
    expect(devValues.config.ENHANCER_PIPELINE).toBe('simulate');
    for (const [key, value] of Object.entries(devValues.config)) {
      expect(Object.keys(configSchema.shape)).toContain(key);
      expect(typeof value).toBe('string');
    }
    const env = secretData('enhancer-dev');
    expect(() => loadConfig({ ...(devValues.config as Record<string, string>), ...env })).not.toThrow();
  });

  it('renders with the chart into a worker that uses only what k8s/ provides', async () => {
    const objects = await renderChart(devValues as unknown as Overrides, {
      apiVersions: KEDA_APIS,
      namespace: 'dev-ns',
    });
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining(['enhancer', 'enhancer-ingest']),
    );
    const svc = new Service(objects.find((o) => o.kind === 'Service' && o.metadata.name === 'enhancer'));
    expect(svc.metadata?.name).toBe('enhancer');
    expect(svc.spec?.ports?.map((p) => p.port)).toContain(8080);
    const scaled = new ScaledObject(find(objects, 'ScaledObject') as IScaledObject).spec;
    expect(scaled).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 4, pollingInterval: 5 });

    const refs = secretRefs(objects);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(['enhancer-dev', 'rabbitmq-dev-user']).toContain(ref.name);
      expect(secretKeys(ref.name)).toContain(ref.key);
    }
    // KEDA: RabbitMQ in the release's own namespace, fully qualified (the scaler runs in KEDA's), and the
    // user as TriggerAuthentication parameters, not in the URL.
    const host = new URL(scaled.triggers[0]!.metadata.host as string);
    expect([host.host, host.pathname, host.username]).toEqual([
      'rabbitmq.dev-ns.svc.cluster.local:15672',
      '/%2F',
      '',
    ]);
    const auth = find(objects, 'TriggerAuthentication') as unknown as ITriggerAuthentication;
    expect(auth.spec.secretTargetRef).toEqual([
      { parameter: 'username', name: 'rabbitmq-dev-user', key: 'username' },
      { parameter: 'password', name: 'rabbitmq-dev-user', key: 'password' },
    ]);
  });

  it('runs the webhook with the dev tenants Secret, which parses as the app reads it', async () => {
    const objects = await renderChart(devValues as unknown as Overrides, { apiVersions: KEDA_APIS });
    const ingest = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'enhancer-ingest');
    const volumes = (
      ingest as { spec: { template: { spec: { volumes: { secret?: { secretName: string } }[] } } } }
    ).spec.template.spec.volumes;
    expect(volumes.map((v) => v.secret?.secretName)).toContain('enhancer-dev-tenants');
    // The workers read the same file (where each tenant's notes would be written back).
    const worker = find(objects, 'Deployment', 'enhancer') as unknown as IDeployment;
    expect(worker.spec!.template.spec!.volumes!.map((v) => v.secret?.secretName)).toContain(
      'enhancer-dev-tenants',
    );
    const tenants = parseTenants(secretData('enhancer-dev-tenants')['tenants.json']!);
    expect([...tenants.keys()]).toEqual(['dev']);
    expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === 'enhancer-ingest')).toBe(true);
  });
});

/** Every (Secret name, key) a rendered object reads: env secretKeyRefs and KEDA secretTargetRefs. */
function secretRefs(value: unknown): { name: string; key: string }[] {
  if (Array.isArray(value)) return value.flatMap(secretRefs);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    if (k === 'secretKeyRef') return [v as { name: string; key: string }];
    if (k === 'secretTargetRef')
      return (v as { name: string; key: string }[]).map(({ name, key }) => ({ name, key }));
    return secretRefs(v);
  });
}
