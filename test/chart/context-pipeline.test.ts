/**
 * The context pipeline in the chart: its settings reach the workers' ConfigMap and load with the app's own
 * config parser; the LLM key comes from a Secret as a file (never the environment, never a ConfigMap);
 * combinations the workers would refuse at start stop the render instead, with what to set.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IConfigMap, IContainer, IEnvVar, IPodSpec, ISecret } from 'kubernetes-models/v1';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { parseTenants } from '../../src/tenants/tenants.js';
import {
  find,
  helmBinary,
  renderChart,
  templateChart,
  type K8sObject,
  type Overrides,
} from '../helpers/helm.js';
import { validateObject } from '../helpers/k8s-schema.js';

beforeAll(() => helmBinary(), 120_000);

const as = <T>(obj: K8sObject) => obj as unknown as T;
const workerOf = (objects: K8sObject[]) => as<IDeployment>(find(objects, 'Deployment', 'rel-enhancer'));
const podOf = (objects: K8sObject[]): IPodSpec => workerOf(objects).spec!.template.spec!;
const containerOf = (objects: K8sObject[]): IContainer => podOf(objects).containers[0]!;
const configOf = (objects: K8sObject[]) => as<IConfigMap>(find(objects, 'ConfigMap', 'rel-enhancer')).data!;
const envOf = (env: IEnvVar[] | undefined) =>
  Object.fromEntries((env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

/** Renders, expecting failure; returns helm's message. */
async function refusal(values: Overrides): Promise<string> {
  const res = await templateChart(values);
  expect(res.stdout).toBe('');
  expect(res.code).not.toBe(0);
  return res.stderr;
}

/** The worker's environment as the kubelet would give it: the ConfigMap, then literal env values. */
function workerEnv(objects: K8sObject[]): Record<string, string> {
  const literal = Object.fromEntries(
    (containerOf(objects).env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
  );
  return {
    ...configOf(objects),
    ...literal,
    AMQP_URL: 'amqp://u:p@rabbitmq:5672/%2F',
    DATABASE_URL: 'postgres://u:p@postgres:5432/enhancer',
  };
}

const OPENAI: Overrides = {
  'config.LLM_BASE_URL': 'https://api.openai.com/v1',
  'config.LLM_MODEL': 'gpt-4o-mini',
  'llm.apiKey.existingSecret': 'openai',
};

describe('the context pipeline by default', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await renderChart();
  });

  it('is the pipeline the chart sets, with every setting at the worker’s own default', () => {
    const config = loadConfig(workerEnv(objects));
    const defaults = loadConfig({});
    expect(config.pipeline).toBe('context');
    expect(config.context).toEqual(defaults.context);
    expect(config.servicedesk).toEqual(defaults.servicedesk);
    // No model: extractive notes.
    expect(config.llm).toBeUndefined();
  });

  it('sets each new worker variable the ConfigMap carries, and no LLM key, URL or model', () => {
    const data = configOf(objects);
    expect(data).toMatchObject({
      ENHANCER_PIPELINE: 'context',
      CONTEXT_STEP_TIMEOUT_MS: '5000',
      CONTEXT_SIMILAR_LIMIT: '5',
      CONTEXT_KB_LIMIT: '3',
      CONTEXT_ASSET_LIMIT: '10',
      CONTEXT_POOL_MAX: '4',
      NOTE_MAX_CHARS: '4000',
      LLM_TIMEOUT_MS: '30000',
      LLM_MAX_TOKENS: '500',
      LLM_TEMPERATURE: '0.2',
      SERVICEDESK_TIMEOUT_MS: '10000',
    });
    for (const key of Object.keys(data)) expect(Object.keys(configSchema.shape)).toContain(key);
    for (const key of ['LLM_BASE_URL', 'LLM_MODEL', 'LLM_API_KEY', 'LLM_API_KEY_FILE']) {
      expect(data).not.toHaveProperty(key);
      expect(envOf(containerOf(objects).env)).not.toHaveProperty(key);
    }
    expect(podOf(objects).volumes!.map((v) => v.name)).toEqual(['tmp']);
  });
});

describe('the context settings', () => {
  it('reach the worker as given, numbers quoted, and load as the worker reads them', async () => {
    const objects = await renderChart({
      'config.ENHANCER_PIPELINE': 'context',
      'config.CONTEXT_STEP_TIMEOUT_MS': 2500,
      'config.CONTEXT_SIMILAR_LIMIT': 0,
      'config.CONTEXT_KB_LIMIT': '7',
      'config.CONTEXT_ASSET_LIMIT': 20,
      'config.CONTEXT_POOL_MAX': 3,
      'config.NOTE_MAX_CHARS': 8000,
      'config.LLM_BASE_URL': 'http://ollama.llm.svc.cluster.local:11434/v1',
      'config.LLM_MODEL': 'llama3.1:8b',
      'config.LLM_TIMEOUT_MS': 45000,
      'config.LLM_MAX_TOKENS': 800,
      'config.LLM_TEMPERATURE': 0,
      'config.SERVICEDESK_TIMEOUT_MS': '15000',
    });
    const config = loadConfig(workerEnv(objects));
    expect(config.context).toEqual({
      stepTimeoutMs: 2500,
      limits: { similar: 0, kb: 7, assets: 20 },
      poolMax: 3,
      noteMaxChars: 8000,
    });
    expect(config.llm).toEqual({
      baseUrl: 'http://ollama.llm.svc.cluster.local:11434/v1',
      model: 'llama3.1:8b',
      apiKey: undefined,
      apiKeyFile: undefined,
      timeoutMs: 45000,
      maxTokens: 800,
      temperature: 0,
    });
    expect(config.servicedesk).toEqual({ timeoutMs: 15000 });
    expect(configOf(objects)).toMatchObject({ LLM_TEMPERATURE: '0', CONTEXT_SIMILAR_LIMIT: '0' });
  });

  it('keeps placeholder and simulate', async () => {
    for (const pipeline of ['placeholder', 'simulate']) {
      const objects = await renderChart({ 'config.ENHANCER_PIPELINE': pipeline });
      expect(loadConfig(workerEnv(objects)).pipeline).toBe(pipeline);
    }
  });
});

describe('the LLM API key', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await renderChart({ ...OPENAI, 'llm.apiKey.key': 'OPENAI_API_KEY' });
    for (const obj of objects) validateObject(obj);
  });

  it('is a file from the named Secret key, mounted as a directory into the worker pods', () => {
    const volume = podOf(objects).volumes!.find((v) => v.name === 'llm-api-key')!;
    expect(volume.secret).toEqual({
      secretName: 'openai',
      items: [{ key: 'OPENAI_API_KEY', path: 'api-key' }],
    });
    const mount = containerOf(objects).volumeMounts!.find((m) => m.name === 'llm-api-key')!;
    // No subPath: the kubelet's updates reach a directory mount (the worker reads it at start-up).
    expect(mount).toEqual({ name: 'llm-api-key', mountPath: '/etc/enhancer/llm', readOnly: true });
    expect(envOf(containerOf(objects).env).LLM_API_KEY_FILE).toBe('/etc/enhancer/llm/api-key');
  });

  it('which the worker config reads as LLM_API_KEY_FILE; the key is in no ConfigMap and no env value', () => {
    const config = loadConfig(workerEnv(objects));
    expect(config.llm).toMatchObject({
      baseUrl: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
      apiKeyFile: '/etc/enhancer/llm/api-key',
    });
    expect(config.llm!.apiKey).toBeUndefined();
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
      expect(Object.keys(cm.data ?? {})).not.toContain('LLM_API_KEY');
    }
    const refs = (containerOf(objects).env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef?.name ?? []);
    expect(refs).not.toContain('openai');
  });

  it('is mounted into the workers only, not ingest nor the migration hook', async () => {
    const all = await renderChart({
      ...OPENAI,
      'ingest.enabled': true,
      'tenants.inline': { acme: { secret: 'acme-webhook-secret-0123456789' } },
    });
    const ingest = as<IDeployment>(find(all, 'Deployment', '-ingest')).spec!.template.spec!;
    const job = find(all, 'Job').spec.template.spec as IPodSpec;
    for (const pod of [ingest, job]) {
      expect(pod.volumes!.map((v) => v.name)).not.toContain('llm-api-key');
      expect(envOf(pod.containers[0]!.env)).not.toHaveProperty('LLM_API_KEY_FILE');
    }
  });
});

describe('combinations the workers would refuse stop the render, saying what to set', () => {
  it('LLM_BASE_URL without LLM_MODEL, as a first-install setting', async () => {
    const message = await refusal({ 'config.LLM_BASE_URL': 'https://api.openai.com/v1' });
    expect(message).toContain('enhancer cannot be installed yet; set:');
    expect(message).toContain(
      'config.LLM_MODEL: config.LLM_BASE_URL is set, so the workers need the name of the model its server knows',
    );
  });

  it('an API key Secret without LLM_BASE_URL', async () => {
    expect(await refusal({ 'llm.apiKey.existingSecret': 'openai' })).toContain(
      'llm.apiKey.existingSecret is set but config.LLM_BASE_URL is not, so the workers would never use the key',
    );
  });

  it('an API key both from llm.apiKey and as LLM_API_KEY in extraEnv', async () => {
    const message = await refusal({
      ...OPENAI,
      extraEnv: [{ name: 'LLM_API_KEY', valueFrom: { secretKeyRef: { name: 'llm', key: 'k' } } }],
    });
    expect(message).toContain('extraEnv sets LLM_API_KEY and llm.apiKey.existingSecret mounts a key file');
  });

  it('LLM_API_KEY from extraEnv alone is still accepted (env from a Secret)', async () => {
    const res = await templateChart({
      'config.LLM_BASE_URL': 'https://api.openai.com/v1',
      'config.LLM_MODEL': 'gpt-4o-mini',
      extraEnv: [{ name: 'LLM_API_KEY', valueFrom: { secretKeyRef: { name: 'llm', key: 'k' } } }],
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });
});

describe('tenants and the write-back', () => {
  const TOKENS_VOLUME = { name: 'servicedesk-tokens', secret: { secretName: 'servicedesk-tokens' } };
  const TOKENS_MOUNT = { name: 'servicedesk-tokens', mountPath: '/etc/enhancer/servicedesk', readOnly: true };
  const TENANTS = {
    acme: {
      secret: 'acme-webhook-secret-0123456789',
      servicedesk: {
        url: 'https://sdp.acme.example',
        auth: 'authtoken',
        token_file: '/etc/enhancer/servicedesk/acme',
      },
    },
    // Write-backs only: no webhook secret.
    globex: {
      servicedesk: { url: 'https://globex.sdpondemand.example/app', auth: 'zoho-oauthtoken', token: 't0ken' },
    },
  };
  const WRITE_BACK: Overrides = {
    'tenants.inline': TENANTS,
    'worker.extraVolumes': [TOKENS_VOLUME],
    'worker.extraVolumeMounts': [TOKENS_MOUNT],
  };

  it('mounts tenants.json into the workers without ingest, as TENANTS_FILE, which the app parses', async () => {
    const objects = await renderChart(WRITE_BACK);
    for (const obj of objects) validateObject(obj);
    expect(objects.map((o) => o.metadata.name)).not.toContain('rel-enhancer-ingest');
    const env = envOf(containerOf(objects).env);
    expect(env.TENANTS_FILE).toBe('/etc/enhancer/tenants/tenants.json');
    expect(loadConfig(workerEnv(objects)).ingest.tenantsFile).toBe('/etc/enhancer/tenants/tenants.json');
    expect(podOf(objects).volumes).toContainEqual({
      name: 'tenants',
      secret: { secretName: 'rel-enhancer-tenants', items: [{ key: 'tenants.json', path: 'tenants.json' }] },
    });
    // A directory, never a subPath: the worker watches it for the kubelet's `..data` swap.
    expect(containerOf(objects).volumeMounts).toContainEqual({
      name: 'tenants',
      mountPath: '/etc/enhancer/tenants',
      readOnly: true,
    });
    const table = parseTenants(as<ISecret>(find(objects, 'Secret', '-tenants')).stringData!['tenants.json']!);
    expect(table.get('acme')!.servicedesk).toEqual({
      url: 'https://sdp.acme.example',
      auth: 'authtoken',
      token: { file: '/etc/enhancer/servicedesk/acme' },
    });
    expect(table.get('globex')).toMatchObject({ secrets: [], servicedesk: { token: { value: 't0ken' } } });
  });

  it('mounts worker.extraVolumes into the workers only: not the migration hook, nor ingest', async () => {
    const objects = await renderChart({ ...WRITE_BACK, 'ingest.enabled': true });
    expect(podOf(objects).volumes).toContainEqual(TOKENS_VOLUME);
    expect(containerOf(objects).volumeMounts).toContainEqual(TOKENS_MOUNT);
    const ingest = as<IDeployment>(find(objects, 'Deployment', '-ingest')).spec!.template.spec!;
    const job = find(objects, 'Job').spec.template.spec as IPodSpec;
    for (const pod of [ingest, job]) {
      expect(pod.volumes!.map((v) => v.name)).not.toContain('servicedesk-tokens');
      expect(pod.containers[0]!.volumeMounts!.map((m) => m.name)).not.toContain('servicedesk-tokens');
    }
  });

  it('refuses a token_file on no volume the workers mount, naming the tenant', async () => {
    const message = await refusal({ 'tenants.inline': TENANTS });
    expect(message).toContain(
      'tenants.inline.acme.servicedesk.token_file (/etc/enhancer/servicedesk/acme) is on no volume the workers mount',
    );
    expect(message).toContain('worker.extraVolumes and worker.extraVolumeMounts');
    // A directory whose name merely starts the same is another directory.
    const sibling = await refusal({
      ...WRITE_BACK,
      'worker.extraVolumeMounts': [{ ...TOKENS_MOUNT, mountPath: '/etc/enhancer/service' }],
    });
    expect(sibling).toContain('tenants.inline.acme.servicedesk.token_file');
  });

  it.each<[string, Overrides]>([
    [
      'on a worker mount with a trailing slash',
      { 'worker.extraVolumeMounts': [{ ...TOKENS_MOUNT, mountPath: '/etc/enhancer/servicedesk/' }] },
    ],
    [
      'on a mount every pod gets (extraVolumeMounts)',
      {
        'worker.extraVolumes': [],
        'worker.extraVolumeMounts': [],
        extraVolumes: [TOKENS_VOLUME],
        extraVolumeMounts: [TOKENS_MOUNT],
      },
    ],
    [
      'mounted as the file itself (subPath)',
      {
        'worker.extraVolumeMounts': [
          { name: 'servicedesk-tokens', mountPath: '/etc/enhancer/servicedesk/acme', subPath: 'acme' },
        ],
      },
    ],
  ])('accepts a token_file %s', async (_name, values) => {
    const res = await templateChart({ ...WRITE_BACK, ...values });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('cannot check tenants from an existing Secret, and mounts it into the workers as it is', async () => {
    const objects = await renderChart({ 'tenants.existingSecret': 'helpdesk-tenants' });
    expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).not.toContain(
      'rel-enhancer-tenants',
    );
    expect(podOf(objects).volumes!.find((v) => v.name === 'tenants')!.secret!.secretName).toBe(
      'helpdesk-tenants',
    );
  });

  it('refuses tenants beside the older ingest.tenants', async () => {
    expect(await refusal({ 'tenants.existingSecret': 'a', 'ingest.tenants.existingSecret': 'b' })).toContain(
      'tenants and ingest.tenants are both set: ingest.tenants is the older name of tenants',
    );
  });
});
