/**
 * Where the workers' traffic may go besides the broker and the database: the model at LLM_BASE_URL and the
 * tenants' ServiceDesk Plus, only at the peers given (never all of 443 by default). A template cannot
 * resolve hosts, so NOTES.txt says when a configured endpoint has no rule, or one on another port; and it
 * prints the Postgres connections the workers may open.
 */
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { find, helmBinary, installDryRun, renderChart, type Overrides } from '../helpers/helm.js';
import { validateObject } from '../helpers/k8s-schema.js';

beforeAll(() => helmBinary(), 120_000);

const POLICY: Overrides = {
  'networkPolicy.enabled': true,
  'networkPolicy.kubernetesApi.cidrs': ['10.0.0.1/32'],
};
const OLLAMA = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'llm' } },
  podSelector: { matchLabels: { app: 'ollama' } },
};
const LLM: Overrides = {
  'config.LLM_BASE_URL': 'http://ollama.llm.svc.cluster.local:11434/v1',
  'config.LLM_MODEL': 'llama3.1:8b',
};
const SDP_TENANTS = {
  acme: {
    secret: 'acme-webhook-secret-0123456789',
    servicedesk: { url: 'https://sdp.acme.example', token: 'a' },
  },
  globex: { servicedesk: { url: 'https://helpdesk.globex.example:8443/sdp', token: 'g' } },
};

async function policies(values: Overrides) {
  const objects = await renderChart({
    ...POLICY,
    'ingest.enabled': true,
    'tenants.inline': SDP_TENANTS,
    ...values,
  });
  for (const obj of objects.filter((o) => o.kind === 'NetworkPolicy')) validateObject(obj);
  const spec = (suffix: string) =>
    (find(objects, 'NetworkPolicy', suffix) as unknown as INetworkPolicy).spec!;
  return { worker: spec('rel-enhancer'), ingest: spec('-ingest'), migrate: spec('-migrate') };
}
const ports = (policy: INetworkPolicy['spec']) =>
  policy!.egress!.map((r) => (r.ports ?? []).map((p) => p.port));

async function notes(values: Overrides): Promise<string> {
  const res = await installDryRun(values);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return res.stdout.slice(res.stdout.indexOf('NOTES:'));
}

describe('the workers’ egress to the model and the helpdesks', () => {
  it('has no rule for either by default: nothing goes out on 443 but to the API server', async () => {
    const { worker } = await policies(LLM);
    expect(ports(worker)).toEqual([[5672, 5671], [5432], [443, 6443], [53, 53]]);
    expect(worker.egress![2]!.to).toEqual([{ ipBlock: { cidr: '10.0.0.1/32' } }]);
    expect(worker.egress!.every((rule) => rule.to && rule.to.length > 0)).toBe(true);
  });

  it('lets the workers reach an in-cluster model by its pods, on its own port', async () => {
    const { worker, ingest, migrate } = await policies({
      ...LLM,
      'networkPolicy.llm.to': [OLLAMA],
      'networkPolicy.llm.ports': [{ port: 11434, protocol: 'TCP' }],
    });
    expect(worker.egress).toContainEqual({ ports: [{ port: 11434, protocol: 'TCP' }], to: [OLLAMA] });
    // Never ingest nor the migration hook.
    for (const other of [ingest, migrate]) expect(ports(other).flat()).not.toContain(11434);
  });

  it('lets the workers reach external APIs by address, on 443: model and helpdesks apart', async () => {
    const { worker, ingest } = await policies({
      'networkPolicy.llm.cidrs': ['203.0.113.10/32'],
      'networkPolicy.servicedesk.cidrs': ['198.51.100.0/28', '192.0.2.7/32'],
      'networkPolicy.servicedesk.ports': [
        { port: 443, protocol: 'TCP' },
        { port: 8443, protocol: 'TCP' },
      ],
    });
    expect(ports(worker)).toEqual([[5672, 5671], [5432], [443, 6443], [443], [443, 8443], [53, 53]]);
    expect(worker.egress![3]!.to).toEqual([{ ipBlock: { cidr: '203.0.113.10/32' } }]);
    expect(worker.egress![4]!.to).toEqual([
      { ipBlock: { cidr: '198.51.100.0/28' } },
      { ipBlock: { cidr: '192.0.2.7/32' } },
    ]);
    expect(ports(ingest)).toEqual([
      [5672, 5671],
      [53, 53],
    ]);
  });

  it('takes peers with ipBlock exceptions (any public address) when an operator chooses so', async () => {
    const publicOnly = {
      ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] },
    };
    const { worker } = await policies({ 'networkPolicy.servicedesk.to': [publicOnly] });
    expect(worker.egress).toContainEqual({ ports: [{ port: 443, protocol: 'TCP' }], to: [publicOnly] });
  });
});

describe('NOTES.txt on the workers’ egress', () => {
  const LLM_NOTE = "but the workers' NetworkPolicy has no rule for it";
  const SDP_NOTE = "the workers' NetworkPolicy has no rule for the ServiceDesk Plus of these tenants";

  it('says when LLM_BASE_URL has no rule, naming the host and the port to allow', async () => {
    const text = await notes({ ...POLICY, ...LLM });
    expect(text).toContain(
      `NOTE: config.LLM_BASE_URL is http://ollama.llm.svc.cluster.local:11434/v1, ${LLM_NOTE}`,
    );
    expect(text).toContain('give the addresses of ollama.llm.svc.cluster.local in networkPolicy.llm.cidrs');
    expect(text).toContain('on port 11434.');
  });

  it('says when the rule has peers but not the port (443 for https without one)', async () => {
    const text = await notes({ ...POLICY, ...LLM, 'networkPolicy.llm.to': [OLLAMA] });
    expect(text).not.toContain(LLM_NOTE);
    expect(text).toContain('on port 11434, which networkPolicy.llm.ports does not admit');
    const covered = await notes({
      ...POLICY,
      ...LLM,
      'networkPolicy.llm.to': [OLLAMA],
      'networkPolicy.llm.ports': [{ port: 11000, endPort: 12000, protocol: 'TCP' }],
    });
    expect(covered).not.toContain('config.LLM_BASE_URL');
    const openai = await notes({
      ...POLICY,
      'config.LLM_BASE_URL': 'https://api.openai.com/v1',
      'config.LLM_MODEL': 'gpt-4o-mini',
      'networkPolicy.llm.cidrs': ['203.0.113.10/32'],
    });
    expect(openai).not.toContain('config.LLM_BASE_URL');
  });

  it('lists the inline tenants whose ServiceDesk Plus has no rule, or not their port', async () => {
    const none = await notes({ ...POLICY, 'tenants.inline': SDP_TENANTS });
    expect(none).toContain(`NOTE: ${SDP_NOTE}`);
    expect(none).toContain('acme (sdp.acme.example), globex (helpdesk.globex.example)');
    const port = await notes({
      ...POLICY,
      'tenants.inline': SDP_TENANTS,
      'networkPolicy.servicedesk.cidrs': ['198.51.100.0/28'],
    });
    expect(port).not.toContain(SDP_NOTE);
    expect(port).toContain('does not admit the port of these tenants');
    expect(port).toContain('globex (helpdesk.globex.example, port 8443)');
    expect(port).not.toContain('acme (');
  });

  it('warns about a tenants Secret it cannot read, unless the helpdesks have a rule', async () => {
    const text = await notes({ ...POLICY, 'tenants.existingSecret': 'helpdesk-tenants' });
    expect(text).toContain(
      'NOTE: the tenants come from Secret helpdesk-tenants, which the chart cannot read',
    );
    const ruled = await notes({
      ...POLICY,
      'tenants.existingSecret': 'helpdesk-tenants',
      'networkPolicy.servicedesk.cidrs': ['198.51.100.0/28'],
    });
    expect(ruled).not.toContain('helpdesk-tenants');
  });

  it('says nothing of egress without the NetworkPolicy', async () => {
    const text = await notes({ ...LLM, 'tenants.inline': SDP_TENANTS });
    expect(text).not.toContain('NetworkPolicy');
  });

  it('says the model and the write-back need the context pipeline', async () => {
    const text = await notes({ ...LLM, 'config.ENHANCER_PIPELINE': 'placeholder' });
    expect(text).toContain('NOTE: config.ENHANCER_PIPELINE is placeholder: the model');
    expect(await notes(LLM)).not.toContain('config.ENHANCER_PIPELINE');
  });
});

describe('NOTES.txt on Postgres connections', () => {
  it('adds the context pool to the history pool, per pod, times the most pods the scaler allows', async () => {
    // helm install knows no KEDA here: the CPU autoscaler's maximum.
    const text = await notes({});
    expect(text).toContain(
      'each worker pod opens up to 8 (DATABASE_POOL_MAX 4 + CONTEXT_POOL_MAX 4),\nso 80 at 10 pods (autoscaling.maxReplicas)',
    );
    const fixed = await notes({
      'autoscaling.enabled': false,
      'worker.replicas': 3,
      'config.DATABASE_POOL_MAX': 2,
      'config.CONTEXT_POOL_MAX': '5',
    });
    expect(fixed).toContain(
      'up to 7 (DATABASE_POOL_MAX 2 + CONTEXT_POOL_MAX 5),\nso 21 at 3 pods (worker.replicas)',
    );
  });

  it('counts only the history pool for the other pipelines, which open no context pool', async () => {
    const text = await notes({ 'config.ENHANCER_PIPELINE': 'simulate' });
    expect(text).toContain('each worker pod opens up to 4 (DATABASE_POOL_MAX),\nso 40 at 10 pods');
  });
});
