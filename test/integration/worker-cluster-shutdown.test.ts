/**
 * The worker's shutdown in a cluster whose API server hangs: the drain starts at once, beside the
 * bounded step-down, instead of after it (a hung Lease call once held the pod taking jobs until SIGKILL).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startFakeKubeApi, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/services.js';

const DEADLINE = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestEnv;
let fake: FakeKubeApi;
let dir: string;
let worker: RunningWorker | undefined;
const kubeconfigBefore = process.env.KUBECONFIG;

beforeAll(async () => {
  t = await createTestEnv('cluster_shutdown');
  fake = await startFakeKubeApi();
  dir = await mkdtemp(path.join(tmpdir(), 'kubeconfig-'));
  const file = path.join(dir, 'config');
  await writeFile(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: fake.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'pod-a' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u' } }],
      'current-context': 'fake',
    }),
  );
  // client-node's loadFromDefault reads it; the worker has no other way in.
  process.env.KUBECONFIG = file;
});
afterAll(async () => {
  await worker?.stop();
  if (kubeconfigBefore === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = kubeconfigBefore;
  await fake.close();
  await rm(dir, { recursive: true, force: true });
  await t.teardown();
});

it('drains at once while stepping down from a hung API server, and stops within the bound', async () => {
  const running = await runWorker(
    t.config({
      LEADER_ELECTION: 'true',
      POD_NAME: 'pod-a',
      POD_NAMESPACE: 'jobs',
      LEASE_DURATION_MS: '1000',
      LEASE_RENEW_DEADLINE_MS: String(DEADLINE),
      LEASE_RETRY_MS: '100',
    }),
    silentLogger,
  );
  worker = running;
  await waitFor(
    'pod-a leads',
    () => fake.leases.get('jobs/enhancer-janitor')?.spec?.holderIdentity === 'pod-a',
  );

  fake.hung.add('pod-a');
  await sleep(150); // a renewal is now under way, and never answered
  const started = Date.now();
  const stopping = running.stop();
  await waitFor('the drain to start', () => running.worker.state !== 'running', 200, 5);
  await stopping;
  worker = undefined;
  expect(running.worker.state).toBe('stopped');
  // The renewal under way gets one renew deadline, the release another; the drain runs meanwhile.
  expect(Date.now() - started).toBeLessThan(2 * DEADLINE + 1_000);
});
