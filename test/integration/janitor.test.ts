/** The janitor's sweep and the re-claim of what it abandoned, against the real Postgres. */
import { randomUUID } from 'node:crypto';
import { systemClock } from '../../src/lib/clock.js';
import { openHistoryStore, type PgHistoryStore } from '../../src/adapters/db/history-store.js';
import { abandonStatement } from '../../src/adapters/db/sql/history-ops.js';
import { startCluster } from '../../src/k8s/index.js';
import { WorkerMetrics } from '../../src/observability/metrics.js';
import { RecordingLogger, metricValue } from '../helpers/fakes.js';
import { startFakeKubeApi } from '../helpers/fake-kube-api.js';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/services.js';

let env: TestEnv;
let store: PgHistoryStore;

beforeAll(async () => {
  env = await createTestEnv('janitor');
  store = await openHistoryStore({ databaseUrl: env.databaseUrl, poolMax: 2 });
});
afterAll(async () => {
  await store.close();
  await env.teardown();
});

/** A row as a worker would have left it, last touched `ageS` seconds ago. */
async function row(status: string, ageS: number, tenant = 'acme', error: string | null = null) {
  const jobId = randomUUID();
  await env.query(
    `insert into enhancement_history (job_id, ticket_id, tenant_id, status, attempts, error_message, updated_at)
     values ($1, 'T-1', $2, $3, 1, $4, now() - make_interval(secs => $5))`,
    [jobId, tenant, status, error, ageS],
  );
  return jobId;
}

const state = async (jobId: string) =>
  (
    await env.query<{ status: string; error_message: string | null; attempts: number }>(
      'select status, error_message, attempts from enhancement_history where job_id = $1',
      [jobId],
    )
  )[0];

describe('janitor sweep', () => {
  it('fails stale pending rows of every tenant as abandoned, and nothing else', async () => {
    const stale = await row('pending', 3_600, 'acme');
    const staleOther = await row('pending', 3_600, 'globex');
    const fresh = await row('pending', 5);
    const completed = await row('completed', 3_600);
    const failed = await row('failed', 3_600, 'acme', 'still broken');

    expect(await store.abandonStale(60_000, 'idle too long')).toBe(2);

    for (const id of [stale, staleOther]) {
      expect(await state(id)).toEqual({
        status: 'failed',
        error_message: 'abandoned by the janitor: idle too long',
        attempts: 1,
      });
    }
    expect(await state(fresh)).toMatchObject({ status: 'pending', error_message: null });
    expect(await state(completed)).toMatchObject({ status: 'completed' });
    expect(await state(failed)).toMatchObject({ status: 'failed', error_message: 'still broken' });
    expect(await store.abandonStale(60_000, 'idle too long')).toBe(0);
  });

  it('bounds its scan by the partial index of pending rows (migrated), not the whole table', async () => {
    const s = abandonStatement(60_000, 'idle too long');
    let n = 0;
    const sql = s.sql.replace(/\?/g, () => `$${++n}`);
    // The table is tiny here, so the planner would rather scan it: ask whether it can use the index.
    await env.query('set enable_seqscan = off');
    try {
      const plan = (await env.query<{ 'QUERY PLAN': string }>(`explain ${sql}`, [...s.bindings]))
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      expect(plan).toContain('enhancement_history_pending_updated_idx');
      expect(plan).toMatch(/Index Cond: \(updated_at < /);
    } finally {
      await env.query('reset enable_seqscan');
    }
  });

  it('lets the job of an abandoned row claim it again, but not a job that really failed', async () => {
    const abandoned = await row('pending', 3_600);
    const failed = await row('failed', 3_600, 'acme', 'still broken');
    await store.abandonStale(60_000, 'idle too long');

    const claim = (jobId: string) => store.claim({ jobId, tenantId: 'acme', ticketId: 'T-1', attempt: 2 });
    expect(await claim(abandoned)).toBe('claimed');
    expect(await state(abandoned)).toEqual({ status: 'pending', error_message: null, attempts: 2 });
    expect(await claim(failed)).toBe('failed');
    expect(
      await store.complete({
        jobId: abandoned,
        tenantId: 'acme',
        attempt: 2,
        summary: 'ok',
        processingMs: 3,
      }),
    ).toBe(true);
    expect(await state(abandoned)).toMatchObject({ status: 'completed' });
  });

  it('does not re-claim a failed row whose own error merely starts with "abandoned:"', async () => {
    const failed = await row('failed', 3_600, 'acme', 'abandoned: the pipeline gave up on this ticket');
    expect(await store.claim({ jobId: failed, tenantId: 'acme', ticketId: 'T-1', attempt: 2 })).toBe(
      'failed',
    );
    expect(await state(failed)).toEqual({
      status: 'failed',
      error_message: 'abandoned: the pipeline gave up on this ticket',
      attempts: 1,
    });
  });

  it('runs on the elected leader, counts what it abandoned, and releases the lease on stop', async () => {
    const fake = await startFakeKubeApi();
    const metrics = new WorkerMetrics(10, false);
    // The threshold below is 1 s: the earlier tests' pending rows would count too.
    await env.query('delete from enhancement_history');
    const stale = await row('pending', 3_600);
    const config = env.config({
      LEADER_ELECTION: 'true',
      POD_NAME: 'pod-a',
      POD_NAMESPACE: 'jobs',
      LEASE_DURATION_MS: '1000',
      LEASE_RENEW_DEADLINE_MS: '500',
      LEASE_RETRY_MS: '100',
      RETRY_MAX: '0',
      JOB_SOFT_TIMEOUT_MS: '1000',
      JOB_TIMEOUT_MS: '1000',
      JANITOR_MARGIN_MS: '0',
    });
    const cluster = await startCluster({
      config,
      log: new RecordingLogger(),
      metrics,
      clock: systemClock,
      history: Promise.resolve(store),
      configureKube: fake.configure('pod-a'),
    });
    try {
      expect(cluster.namespace).toBe('jobs');
      await waitFor('the sweep', async () => (await state(stale))?.status === 'failed', 10_000);
      expect(await metricValue(metrics.janitorAbandoned)).toBe(1);
      expect(fake.leases.get('jobs/enhancer-janitor')?.spec).toMatchObject({ holderIdentity: 'pod-a' });
      cluster.notifyDeadLetter({ jobId: stale, tenantId: 'acme', reason: 'permanent' });
    } finally {
      await cluster.stopLeading();
      await Promise.all([cluster.janitorIdle(), cluster.stopEvents()]);
      await fake.close();
    }
    expect(fake.leases.get('jobs/enhancer-janitor')?.spec).toMatchObject({ holderIdentity: '' });
    expect(fake.events.map((e) => e.body.involvedObject)).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: 'pod-a', namespace: 'jobs' },
    ]);
  });
});
