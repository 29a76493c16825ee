import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createTestEnv, type TestEnv } from '../helpers/services.js';
import { openOrm } from '../../src/adapters/db/orm.js';
import { openHistoryStore, type PgHistoryStore } from '../../src/adapters/db/history-store.js';
import { resetForReplay, undoReplayReset } from '../../src/adapters/db/replay-reset.js';
import { tenantQuery } from '../../src/adapters/db/tenant-query.js';

describe('enhancement_history on Postgres', () => {
  let t: TestEnv;
  let orm: MikroORM;
  let store: PgHistoryStore;
  const row = async (jobId: string) =>
    (
      await t.query<{
        status: string;
        attempts: number;
        result_summary: string | null;
        error_message: string | null;
      }>(
        'select status, attempts, result_summary, error_message from enhancement_history where job_id = $1',
        [jobId],
      )
    )[0];

  beforeAll(async () => {
    t = await createTestEnv('history');
    orm = await openOrm({ databaseUrl: t.databaseUrl, poolMax: 2 });
    store = await openHistoryStore({ databaseUrl: t.databaseUrl, poolMax: 2 });
  });
  afterAll(async () => {
    await store?.close();
    await orm?.close(true);
    await t?.teardown();
  });

  describe('row-level security', () => {
    let client: Client;
    const a = randomUUID();
    const b = randomUUID();
    beforeAll(async () => {
      await store.claim({ jobId: a, tenantId: 'tenant-a', ticketId: 'A-1', attempt: 1 });
      await store.claim({ jobId: b, tenantId: 'tenant-b', ticketId: 'B-1', attempt: 1 });
      client = new Client({ connectionString: t.databaseUrl });
      await client.connect();
      await client.query('begin');
      await client.query('set local role enhancer_tenant');
      await client.query(`select set_config('app.tenant_id', 'tenant-a', true)`);
    });
    afterAll(async () => {
      await client.query('rollback').catch(() => undefined);
      await client.end();
    });
    afterEach(async () => {
      // Each case runs in its own savepoint so a refused statement does not end the transaction.
      await client.query('rollback to savepoint s').catch(() => undefined);
    });
    beforeEach(async () => {
      await client.query('savepoint s');
    });

    it('as tenant A, sees only A rows', async () => {
      const { rows } = await client.query<{ tenant_id: string }>('select tenant_id from enhancement_history');
      expect(rows.map((r) => r.tenant_id)).toEqual(['tenant-a']);
    });

    it('as tenant A, cannot insert a row for tenant B', async () => {
      await expect(
        client.query(
          `insert into enhancement_history (job_id, tenant_id, status) values ($1, 'tenant-b', 'pending')`,
          [randomUUID()],
        ),
      ).rejects.toMatchObject({ code: '42501' });
    });

    it('as tenant A, cannot update a row of tenant B, nor move its own row to tenant B', async () => {
      const hidden = await client.query(
        `update enhancement_history set status = 'failed' where job_id = $1`,
        [b],
      );
      expect(hidden.rowCount).toBe(0);
      await expect(
        client.query(`update enhancement_history set tenant_id = 'tenant-b' where job_id = $1`, [a]),
      ).rejects.toMatchObject({ code: '42501' });
    });

    it('with no tenant set, sees nothing', async () => {
      await client.query(`select set_config('app.tenant_id', '', true)`);
      const { rows } = await client.query('select * from enhancement_history');
      expect(rows).toEqual([]);
    });

    it('the application path (tenantQuery, as the reads and the replay use it) is scoped the same way', async () => {
      const seen = await tenantQuery<{ job_id: string }>(
        orm.em.getKnex(),
        'tenant-b',
        { sql: 'select job_id::text from enhancement_history', bindings: [] },
        { timeoutMs: 5_000 },
      );
      expect(seen.map((r) => r.job_id)).toEqual([b]);
      expect(await row(b)).toMatchObject({ status: 'pending' });
    });

    it('a replay resets only its own tenant’s row, and its undo puts the row back to failed', async () => {
      await t.query(`update enhancement_history set status = 'failed', attempts = 3 where job_id = $1`, [b]);
      await resetForReplay(orm, b, 'tenant-a');
      expect(await row(b)).toMatchObject({ status: 'failed', attempts: 3 });
      await resetForReplay(orm, b, 'tenant-b');
      expect(await row(b)).toMatchObject({ status: 'pending', attempts: 0, error_message: null });
      await undoReplayReset(orm, b, 'tenant-b', 'republish failed');
      expect(await row(b)).toMatchObject({ status: 'failed', error_message: 'republish failed' });
      await t.query(`update enhancement_history set status = 'pending', attempts = 1 where job_id = $1`, [b]);
    });
  });

  it('fences a late result: once the row moved to the next attempt, the old attempt cannot write', async () => {
    const jobId = randomUUID();
    const base = { jobId, tenantId: 'acme' };
    expect(await store.claim({ ...base, ticketId: 'T-1', attempt: 1 })).toBe('claimed');
    expect(await store.retry({ ...base, attempt: 1, error: 'timed out' })).toBe(true);
    expect(await store.complete({ ...base, attempt: 1, summary: 'late', processingMs: 5 })).toBe(false);
    expect(await store.fail({ ...base, attempt: 1, error: 'late', processingMs: null })).toBe(false);
    expect(await row(jobId)).toEqual({
      status: 'pending',
      attempts: 2,
      result_summary: null,
      error_message: 'timed out',
    });
    expect(await store.claim({ ...base, ticketId: 'T-1', attempt: 2 })).toBe('claimed');
    expect(await store.complete({ ...base, attempt: 2, summary: 'done', processingMs: 7 })).toBe(true);
    expect(await row(jobId)).toMatchObject({ status: 'completed', attempts: 2, result_summary: 'done' });
    expect(await store.claim({ ...base, ticketId: 'T-1', attempt: 3 })).toBe('completed');
    await store.forceFail({ ...base, ticketId: 'T-1', error: 'poison' });
    expect(await row(jobId)).toMatchObject({ status: 'completed' });
  });

  it('group-commits concurrent writes, and one refused item fails only itself', async () => {
    const foreign = randomUUID();
    await store.claim({ jobId: foreign, tenantId: 'tenant-b', ticketId: 'B-2', attempt: 1 });
    const ids = Array.from({ length: 20 }, () => randomUUID());
    const claims = ids.map((jobId, i) =>
      store.claim({ jobId, tenantId: i % 2 ? 'acme' : 'globex', ticketId: `T-${i}`, attempt: 1 }),
    );
    // Same job_id under another tenant: row-level security refuses the upsert of B's row.
    const intruder = store.claim({ jobId: foreign, tenantId: 'tenant-a', ticketId: 'X', attempt: 1 });
    expect(await Promise.all(claims)).toEqual(ids.map(() => 'claimed'));
    await expect(intruder).rejects.toMatchObject({ name: 'ValidationError' });
    const [counted] = await t.query<{ n: string }>(
      'select count(*) as n from enhancement_history where job_id = any($1::uuid[])',
      [ids],
    );
    expect(counted?.n).toBe('20');
    expect(await row(foreign)).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('reports a database it cannot reach as an infrastructure error, not a verdict on the job', async () => {
    const broken = await openHistoryStore({ databaseUrl: t.databaseUrl, poolMax: 1 });
    await broken.close();
    await expect(
      broken.claim({ jobId: randomUUID(), tenantId: 'acme', ticketId: 'T', attempt: 1 }),
    ).rejects.toMatchObject({ name: 'InfrastructureError' });
  });
});
