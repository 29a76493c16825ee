/**
 * What a new user meets on the first `helm install`: missing settings stop it at once with what to set
 * (never a hook that hangs), KEDA is used where the cluster serves it, the migration hook fits helm's
 * default timeout and carries its own pod settings, image references are exact, names fit 63 characters
 * for any release name, and RBAC never lands on the namespace's default ServiceAccount.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import type { IConfigMap, IServiceAccount } from 'kubernetes-models/v1';
import {
  find,
  helmBinary,
  installDryRun,
  KEDA_APIS,
  OPERATOR_APIS,
  renderChart,
  templateChart,
  type K8sObject,
  type Overrides,
} from '../helpers/helm.js';
import { validateObject } from '../helpers/k8s-schema.js';

beforeAll(() => helmBinary(), 120_000);

const as = <T>(obj: K8sObject) => obj as unknown as T;
const kinds = (objects: K8sObject[]) => objects.map((o) => o.kind);
const IMAGE: Overrides = { 'image.repository': 'enhancer' };
const URLS: Overrides = {
  'secrets.amqpUrl': 'amqp://u:p@rabbitmq:5672/%2F',
  'secrets.databaseUrl': 'postgres://u:p@postgres:5432/enhancer',
};

/** Renders, expecting failure; returns helm's message. */
async function refusal(values: Overrides, opts: Parameters<typeof templateChart>[1] = {}): Promise<string> {
  const res = await templateChart(values, opts);
  expect(res.code).not.toBe(0);
  expect(res.stdout).toBe('');
  return res.stderr;
}

describe('missing settings stop the install at once, saying what to set', () => {
  it('with no values at all: the image, the broker URL and the database URL, in one message', async () => {
    const message = await refusal({}, { bare: true });
    expect(message).toContain('enhancer cannot be installed yet; set:');
    expect(message).toContain('image.repository: there is no public image');
    expect(message).toContain('the broker URL: secrets.amqpUrl');
    expect(message).toContain('the database URL: secrets.databaseUrl');
    expect(message).toContain("CloudNativePG's <cluster>-app has it as uri");
    expect(message).toContain('See docs/deployment.md (First install).');
  });

  it('helm install itself fails before anything reaches a cluster', async () => {
    const res = await installDryRun({}, { bare: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('enhancer cannot be installed yet');
  });

  it('names only what is missing', async () => {
    const message = await refusal({ ...URLS }, { bare: true });
    expect(message).toContain('image.repository');
    expect(message).not.toContain('the broker URL');
    const noDb = await refusal({ ...IMAGE, 'secrets.amqpUrl': URLS['secrets.amqpUrl'] }, { bare: true });
    expect(noDb).toContain('the database URL');
    expect(noDb).not.toContain('image.repository');
  });

  it('is satisfied by an existing Secret alone (with the image)', async () => {
    const res = await templateChart({ ...IMAGE, 'secrets.existingSecret': 'enhancer' }, { bare: true });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('where KEDA scales: also the management API, through keda.rabbitmq.host or a URL', async () => {
    const message = await refusal({ ...IMAGE, ...URLS }, { bare: true, apiVersions: KEDA_APIS });
    expect(message).toContain('the RabbitMQ management API for KEDA: keda.rabbitmq.host');
    // Not where KEDA is not used.
    const res = await templateChart({ ...IMAGE, ...URLS }, { bare: true });
    expect(res.code).toBe(0);
  });

  it('keda.rabbitmq.host needs the Secret with the management user', async () => {
    const message = await refusal(
      { 'keda.rabbitmq.host': 'http://rabbitmq.jobs.svc:15672/%2F' },
      { apiVersions: KEDA_APIS },
    );
    expect(message).toContain(
      'keda.rabbitmq.credentials.existingSecret: keda.rabbitmq.host has no credentials',
    );
  });

  it('secrets.amqp.fromParts needs an existing Secret to read the parts from', async () => {
    const message = await refusal({ 'secrets.amqp.fromParts': true });
    expect(message).toContain(
      'secrets.amqp.fromParts reads username, password, host and port from an existing Secret',
    );
  });

  it('a NetworkPolicy needs the API server addresses, never all of 443', async () => {
    const message = await refusal({ 'networkPolicy.enabled': true });
    expect(message).toContain('networkPolicy.kubernetesApi.enabled needs networkPolicy.kubernetesApi.cidrs');
  });

  it('the CPU autoscaler needs a sane range and a CPU request', async () => {
    expect(await refusal({ 'autoscaling.minReplicas': 5, 'autoscaling.maxReplicas': 3 })).toContain(
      'autoscaling.minReplicas (5) is above autoscaling.maxReplicas (3)',
    );
    expect(await refusal({ 'worker.resources.requests.cpu': null })).toContain(
      'autoscaling scales on CPU utilisation, a share of the request: set worker.resources.requests.cpu',
    );
  });
});

describe('KEDA: auto, true, false', () => {
  const scaler = async (mode: unknown, apis: readonly string[] | undefined) =>
    kinds(await renderChart({ 'keda.enabled': mode }, { apiVersions: apis })).filter((k) =>
      ['ScaledObject', 'TriggerAuthentication', 'HorizontalPodAutoscaler'].includes(k),
    );

  it('auto (the default): KEDA where keda.sh/v1alpha1 is served, a CPU HPA elsewhere', async () => {
    expect(await scaler('auto', KEDA_APIS)).toEqual(['ScaledObject', 'TriggerAuthentication']);
    expect(await scaler('auto', undefined)).toEqual(['HorizontalPodAutoscaler']);
    expect(kinds(await renderChart({}, { apiVersions: KEDA_APIS }))).toContain('ScaledObject');
  });

  it('true: KEDA, and a clear refusal where its API is missing', async () => {
    expect(await scaler(true, KEDA_APIS)).toEqual(['ScaledObject', 'TriggerAuthentication']);
    const message = await refusal({ 'keda.enabled': true });
    expect(message).toContain(
      'keda.enabled is true but this cluster does not serve keda.sh/v1alpha1 ScaledObjects',
    );
    expect(message).toContain('helm install keda keda --repo https://kedacore.github.io/charts');
    expect(message).toContain('keda.enabled=auto');
  });

  it('false: never KEDA, even where it is served', async () => {
    expect(await scaler(false, KEDA_APIS)).toEqual(['HorizontalPodAutoscaler']);
  });

  it('refuses anything but true, false and auto', async () => {
    expect(await refusal({ 'keda.enabled': 'yes' })).toMatch(/keda\/enabled/);
  });
});

describe('the migration hook', () => {
  const hooks = async (values: Overrides = {}) => {
    const objects = await renderChart(values);
    return objects.filter((o) => o.metadata.annotations?.['helm.sh/hook'] === 'pre-install,pre-upgrade');
  };
  const jobOf = (objects: K8sObject[]) => as<IJob>(find(objects, 'Job'));

  it('gives up (240 s) before helm does (--timeout 5m by default)', async () => {
    const job = jobOf(await hooks());
    expect(job.spec!.activeDeadlineSeconds).toBeLessThan(300);
  });

  it('runs under a ServiceAccount of its own, made before it, without a token or any Role', async () => {
    const objects = await hooks();
    const sa = as<IServiceAccount>(find(objects, 'ServiceAccount', '-migrate'));
    expect(sa.metadata!.annotations).toMatchObject({ 'helm.sh/hook-weight': '-20' });
    expect(sa.automountServiceAccountToken).toBe(false);
    const pod = jobOf(objects).spec!.template.spec!;
    expect(pod.serviceAccountName).toBe('rel-enhancer-migrate');
    expect(pod.automountServiceAccountToken).toBe(false);
    const all = await renderChart();
    const binding = as<IRoleBinding>(find(all, 'RoleBinding'));
    expect(binding.subjects!.map((s) => s.name)).not.toContain('rel-enhancer-migrate');
  });

  it('takes an existing ServiceAccount, or annotations on its own (cloud IAM)', async () => {
    const own = await hooks({
      'migrations.serviceAccount.annotations': { 'iam.example.com/role': 'migrate' },
    });
    expect(find(own, 'ServiceAccount', '-migrate').metadata.annotations).toMatchObject({
      'iam.example.com/role': 'migrate',
    });
    const existing = await hooks({
      'migrations.serviceAccount.create': false,
      'migrations.serviceAccount.name': 'db-migrator',
    });
    expect(kinds(existing)).not.toContain('ServiceAccount');
    expect(jobOf(existing).spec!.template.spec!.serviceAccountName).toBe('db-migrator');
  });

  it('has its own pod annotations (Istio), labels, resources and scheduling; else the workers scheduling', async () => {
    const tolerations = [{ key: 'batch', operator: 'Exists', effect: 'NoSchedule' }];
    const affinity = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
    };
    const own = jobOf(
      await hooks({
        'migrations.podAnnotations': { 'sidecar.istio.io/inject': 'false' },
        'migrations.podLabels': { team: 'db' },
        'migrations.resources': { requests: { cpu: '20m', memory: '64Mi' } },
        'migrations.nodeSelector': { pool: 'batch' },
        'migrations.tolerations': tolerations,
        'migrations.affinity': affinity,
        'worker.nodeSelector': { pool: 'workers' },
        priorityClassName: 'enhancer-high',
      }),
    ).spec!.template;
    expect(own.metadata!.annotations).toEqual({ 'sidecar.istio.io/inject': 'false' });
    expect(own.metadata!.labels).toMatchObject({ team: 'db', 'app.kubernetes.io/component': 'migrations' });
    expect(own.spec!.containers[0]!.resources!.requests).toEqual({ cpu: '20m', memory: '64Mi' });
    expect(own.spec).toMatchObject({
      nodeSelector: { pool: 'batch' },
      tolerations,
      affinity,
      priorityClassName: 'enhancer-high',
    });
    const inherited = jobOf(
      await hooks({ 'worker.nodeSelector': { pool: 'workers' }, 'worker.tolerations': tolerations }),
    ).spec!.template.spec!;
    expect(inherited.nodeSelector).toEqual({ pool: 'workers' });
    expect(inherited.tolerations).toEqual(tolerations);
  });

  it('is covered by a NetworkPolicy of its own, made before it: Postgres and DNS only, nothing in', async () => {
    const objects = await hooks({
      'networkPolicy.enabled': true,
      'networkPolicy.kubernetesApi.cidrs': ['10.0.0.1/32'],
    });
    const policy = as<INetworkPolicy>(find(objects, 'NetworkPolicy', '-migrate'));
    validateObject(policy as K8sObject);
    expect(policy.metadata!.annotations).toMatchObject({ 'helm.sh/hook-weight': '-15' });
    const podLabels = jobOf(objects).spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(policy.spec!.podSelector.matchLabels!)) expect(podLabels[k]).toBe(v);
    expect(policy.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec!.ingress).toEqual([]);
    expect(policy.spec!.egress!.map((r) => (r.ports ?? []).map((p) => p.port))).toEqual([[5432], [53, 53]]);
    // The workers' policy does not select the hook's pod, so nothing else lets it out.
    const worker = as<INetworkPolicy>(
      find(
        await renderChart({
          'networkPolicy.enabled': true,
          'networkPolicy.kubernetesApi.cidrs': ['10.0.0.1/32'],
        }),
        'NetworkPolicy',
        'rel-enhancer',
      ),
    );
    expect(worker.spec!.podSelector.matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'worker' });
  });

  it('makes a DATABASE_URL hook Secret only for an inline URL; an existing Secret is read as it is', async () => {
    const inline = await hooks();
    expect(find(inline, 'Secret', '-migrations').stringData).toEqual({
      DATABASE_URL: URLS['secrets.databaseUrl'],
    });
    const existing = await hooks({
      'secrets.database.existingSecret': 'pg-app',
      'secrets.database.key': 'uri',
    });
    expect(kinds(existing)).not.toContain('Secret');
    const env = jobOf(existing).spec!.template.spec!.containers[0]!.env!;
    expect(env.find((e) => e.name === 'DATABASE_URL')!.valueFrom).toEqual({
      secretKeyRef: { name: 'pg-app', key: 'uri' },
    });
  });
});

describe('the image reference', () => {
  const workerImage = async (values: Overrides) => {
    const d = as<IDeployment>(find(await renderChart(values), 'Deployment'));
    return { image: d.spec!.template.spec!.containers[0]!.image, labels: d.spec!.template.metadata!.labels! };
  };

  it('joins registry, repository and tag; the tag or appVersion is the version label', async () => {
    expect(
      await workerImage({
        'image.registry': 'ghcr.io',
        'image.repository': 'acme/enhancer',
        'image.tag': '1.10',
      }),
    ).toEqual({
      image: 'ghcr.io/acme/enhancer:1.10',
      labels: expect.objectContaining({ 'app.kubernetes.io/version': '1.10' }),
    });
    expect((await workerImage({})).image).toBe('enhancer:0.1.0');
  });

  it('takes the tag only as a string: YAML 1.10 is the number 1.1, and the schema says so', async () => {
    const message = await refusal({ 'image.tag': 1.1 });
    expect(message).toMatch(/image\/tag': got number, want string/);
  });

  it('pulls by digest when one is given; the version label never gets the digest', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const { image, labels } = await workerImage({ 'image.tag': '2.0.1', 'image.digest': digest });
    expect(image).toBe(`enhancer@${digest}`);
    expect(labels['app.kubernetes.io/version']).toBe('2.0.1');
    expect((await workerImage({ 'image.digest': digest })).labels['app.kubernetes.io/version']).toBe('0.1.0');
    expect(await refusal({ 'image.digest': 'latest' })).toMatch(/image\/digest/);
  });

  it('keeps a long tag a valid label value', async () => {
    const tag = `v1.2.3-${'x'.repeat(70)}_`;
    const { labels } = await workerImage({ 'image.tag': tag });
    expect(labels['app.kubernetes.io/version']).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
  });
});

describe('names', () => {
  /** Kinds whose names are DNS labels (63) or end up in label values. */
  const LABEL_KINDS = ['Service', 'Deployment', 'Job', 'ScaledObject', 'HorizontalPodAutoscaler'];
  const EVERYTHING: Overrides = {
    'ingest.enabled': true,
    'tenants.inline': { acme: { secret: 'acme-webhook-secret-0123456789' } },
    'ingest.ingress.enabled': true,
    'ingest.autoscaling.enabled': true,
    'networkPolicy.enabled': true,
    'networkPolicy.kubernetesApi.cidrs': ['10.0.0.1/32'],
    'serviceMonitor.enabled': true,
    'prometheusRule.enabled': true,
    'grafanaDashboard.enabled': true,
  };

  it.each([
    ['a 53-character release name (helm allows no longer)', { release: 'r'.repeat(53) }, {}],
    ['a 63-character fullnameOverride', {}, { fullnameOverride: 'f'.repeat(63) }],
  ])('stay within 63 characters, suffixes included, for %s', async (_name, opts, values) => {
    const objects = await renderChart({ ...EVERYTHING, ...values }, { ...opts, apiVersions: OPERATOR_APIS });
    expect(objects.length).toBeGreaterThan(20);
    for (const obj of objects) {
      validateObject(obj);
      expect({ kind: obj.kind, name: obj.metadata.name, length: obj.metadata.name.length <= 63 }).toEqual({
        kind: obj.kind,
        name: obj.metadata.name,
        length: true,
      });
      expect(obj.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
    for (const kind of LABEL_KINDS) expect(objects.some((o) => o.kind === kind)).toBe(true);
    const lease = as<IConfigMap>(
      find(objects, 'ConfigMap', objects.find((o) => o.kind === 'Deployment')!.metadata.name),
    ).data!.LEASE_NAME!;
    expect(lease.length).toBeLessThanOrEqual(63);
    expect(lease).toMatch(/-janitor$/);
  });
});

describe('RBAC', () => {
  it('binds the Role to the chart’s own ServiceAccount', async () => {
    const binding = as<IRoleBinding>(find(await renderChart(), 'RoleBinding'));
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rel-enhancer', namespace: 'jobs' }]);
  });

  it.each<[string, Overrides]>([
    ['no ServiceAccount of its own', { 'serviceAccount.create': false }],
    ['one named default', { 'serviceAccount.create': false, 'serviceAccount.name': 'default' }],
    ['one made under the name default', { 'serviceAccount.name': 'default' }],
  ])('never binds to the namespace default ServiceAccount: refuses %s', async (_name, values) => {
    expect(await refusal(values)).toContain(
      "rbac.create would bind the worker's Role to the namespace's default ServiceAccount",
    );
  });

  it('binds to an existing ServiceAccount by name, and without RBAC may run as default', async () => {
    const binding = as<IRoleBinding>(
      find(
        await renderChart({ 'serviceAccount.create': false, 'serviceAccount.name': 'enhancer-sa' }),
        'RoleBinding',
      ),
    );
    expect(binding.subjects![0]!.name).toBe('enhancer-sa');
    const objects = await renderChart({ 'serviceAccount.create': false, 'rbac.create': false });
    expect(kinds(objects)).not.toContain('RoleBinding');
  });
});
