import {
  createTestEnv,
  spawnWorker,
  started,
  waitFor,
  type ChildWorker,
  type TestEnv,
} from '../helpers/services.js';
import { makeJob, rawDeadLetters } from '../helpers/live-jobs.js';
import { watchProbes, type ProbeWatch } from '../helpers/probes.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';

/** Postgres behind a partition (no FIN, no RST), made with a proxy in front of the shared server. */
describe('Postgres goes silent under two workers', () => {
  let t: TestEnv;
  let producer: Producer;
  let pg: TcpProxy;
  const children: ChildWorker[] = [];
  const watches: ProbeWatch[] = [];
  const watch = (w: ProbeWatch) => (watches.push(w), w);
  // Tight bounds, so the test is quick; the defaults are five times these.
  const bounds = {
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
    DATABASE_QUERY_TIMEOUT_MS: '1000',
    READY_MAX_WRITE_STALL_MS: '2000',
    WAIT_OUT_MAX_MS: '3000',
  };

  const completed = async (ids: string[]) =>
    Number(
      (
        await t.query<{ n: string }>(
          "select count(*) as n from enhancement_history where job_id = any($1) and status = 'completed'",
          [ids],
        )
      )[0]!.n,
    );
  const worker = async (pod: string, extra: Record<string, string> = {}) => {
    const w = spawnWorker({
      ...t.env,
      ...bounds,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pg.port}/${t.dbName}`,
      ENHANCER_PIPELINE: 'simulate',
      POD_NAME: pod,
      ...extra,
    });
    children.push(w);
    await started(w);
    const line = w.lines.find((l) => l.includes('"worker started"'))!;
    return { w, port: Number((JSON.parse(line) as { http_port: number }).http_port) };
  };
  const exitWithin = async (w: ChildWorker) => {
    const began = Date.now();
    w.proc.kill('SIGTERM');
    const { code } = await w.exited;
    return { code, ms: Date.now() - began };
  };

  beforeAll(async () => {
    t = await createTestEnv('pg_partition');
    producer = await openProducer(t.config());
  });
  beforeEach(async () => {
    pg = await startTcpProxy(5432);
  });
  afterEach(async () => {
    await Promise.all(watches.splice(0).map((w) => w.stop()));
    for (const w of children.splice(0)) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
    await pg.close();
  });
  afterAll(async () => {
    await producer?.close();
    await t?.teardown();
  });

  it('blackholed mid-load: probes go red, then every job completes once over fresh connections', async () => {
    const [a, b] = await Promise.all([worker('pg-a'), worker('pg-b')]);
    const probes = [watch(watchProbes(a.port)), watch(watchProbes(b.port))];
    const jobs = Array.from({ length: 300 }, () => makeJob({ simulate: { sleep_ms: 20 } }));
    const ids = jobs.map((j) => j.job_id);
    await Promise.all(jobs.map((j) => producer.publishJob(j)));
    await waitFor('some completed', async () => (await completed(ids)) >= 60, 30_000);

    const cutAt = Date.now();
    pg.blackhole();
    await new Promise((r) => setTimeout(r, 4_000));
    const doneBefore = await completed(ids);
    pg.restore();
    const healedAt = Date.now();
    await waitFor('work after the partition', async () => (await completed(ids)) > doneBefore, 30_000);
    const resumedAt = Date.now();
    await waitFor('all completed', async () => (await completed(ids)) === ids.length, 60_000);
    const allDoneAt = Date.now();
    await waitFor('both ready again', () =>
      probes.every((p) => p.of('/readyz', resumedAt).some((x) => x.status === 200)),
    );

    // Each job completed once: one completed row at attempt 1 (a wait-out keeps the attempt), no
    // dead letter, and at most one "job completed" line (none when the commit landed but its answer
    // was lost in the partition: the job was waited out, and its return found it completed).
    const rows = await t.query<{ attempts: number; status: string }>(
      'select attempts, status from enhancement_history where job_id = any($1)',
      [ids],
    );
    expect(rows.filter((r) => r.status !== 'completed' || r.attempts !== 1)).toEqual([]);
    const lines = [...a.w.lines, ...b.w.lines].filter((l) => l.includes('"msg":"job completed"'));
    const perJob = new Map<string, number>();
    for (const id of ids) perJob.set(id, lines.filter((l) => l.includes(id)).length);
    expect([...perJob.values()].filter((n) => n > 1)).toEqual([]);
    expect(await rawDeadLetters(t.names)).toHaveLength(0);

    // Readiness went red during the partition and green after it; liveness never failed (every
    // write came back within its bounds, so no restart was needed).
    const firstRed = probes.map((p) => p.of('/readyz', cutAt).find((x) => x.status === 503));
    expect(firstRed.every((x) => x !== undefined)).toBe(true);
    for (const p of probes) {
      expect(p.of('/healthz').filter((x) => x.status !== 200)).toEqual([]);
      expect(p.of('/readyz').at(-1)?.status).toBe(200);
    }
    // Writes stuck on the dead connections failed at their bound and were waited out.
    const waited = [...a.w.lines, ...b.w.lines].filter((l) =>
      l.includes('"msg":"job delayed without spending a retry"'),
    );
    expect(waited.length).toBeGreaterThan(0);
    expect(waited.every((l) => l.includes('"cause":"postgres"'))).toBe(true);

    const detectMs = Math.max(...firstRed.map((x) => x!.at - cutAt));
    const readyAgainMs = Math.max(
      ...probes.map((p) => p.of('/readyz', healedAt).find((x) => x.status === 200)!.at - healedAt),
    );
    console.log(
      `pg blackhole: readiness red after ${detectMs} ms (${firstRed.map((x) => x!.reason).join(' | ')}); ` +
        `work resumed ${resumedAt - healedAt} ms after the network healed, ready again after ` +
        `${readyAgainMs} ms, all ${ids.length} done after ${allDoneAt - healedAt} ms; ${waited.length} wait-outs`,
    );
    for (const w of [a.w, b.w]) expect((await exitWithin(w)).code).toBe(0);
  }, 120_000);

  it('blackholed under the context pipeline: its reads give up, and run over fresh connections after', async () => {
    const { w } = await worker('pg-context', {
      ENHANCER_PIPELINE: 'context',
      CONTEXT_STEP_TIMEOUT_MS: '1000',
    });
    const jobs = Array.from({ length: 150 }, () => makeJob({ description: 'printer 10.0.4.17 jams again' }));
    const ids = jobs.map((j) => j.job_id);
    await Promise.all(jobs.slice(0, 50).map((j) => producer.publishJob(j)));
    await waitFor('some completed', async () => (await completed(ids)) >= 20, 30_000);
    pg.blackhole();
    await Promise.all(jobs.slice(50).map((j) => producer.publishJob(j)));
    await new Promise((r) => setTimeout(r, 4_000));
    pg.restore();
    const healedAt = Date.now();
    await waitFor('all completed', async () => (await completed(ids)) === ids.length, 60_000);
    const rows = await t.query<{ attempts: number; steps: Record<string, { status: string }> }>(
      "select attempts, result->'steps' as steps from enhancement_history where job_id = any($1)",
      [ids],
    );
    // Waited out, never retried or dead-lettered; every completed note had all three steps answer.
    expect(rows.filter((r) => r.attempts !== 1)).toEqual([]);
    expect(rows.flatMap((r) => Object.values(r.steps).filter((x) => x.status !== 'ok'))).toEqual([]);
    expect(await rawDeadLetters(t.names)).toHaveLength(0);
    console.log(
      `pg blackhole, context pipeline: all ${ids.length} done ${Date.now() - healedAt} ms after healing`,
    );
    expect((await exitWithin(w)).code).toBe(0);
  }, 120_000);

  it('SIGTERM while Postgres is blackholed ends the worker within its grace and the margin', async () => {
    const { w } = await worker('pg-stop', { SHUTDOWN_GRACE_MS: '3000' });
    const jobs = Array.from({ length: 20 }, () => makeJob({ simulate: { sleep_ms: 300 } }));
    await Promise.all(jobs.map((j) => producer.publishJob(j)));
    await waitFor('a job running', () => w.lines.some((l) => l.includes('"msg":"job started"')));
    pg.blackhole();
    await new Promise((r) => setTimeout(r, 500));
    const { code, ms } = await exitWithin(w);
    console.log(`SIGTERM during a pg blackhole (grace 3000 ms): exited ${code} after ${ms} ms`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(3_000 + 10_000);
    // Nothing was lost: what it held went back to the queue or through the ladder; a healthy worker
    // (straight to Postgres) finishes it all.
    pg.restore();
    const ids = jobs.map((j) => j.job_id);
    const healthy = spawnWorker({ ...t.env, ENHANCER_PIPELINE: 'simulate', POD_NAME: 'pg-after' });
    children.push(healthy);
    await waitFor('all completed', async () => (await completed(ids)) === ids.length, 30_000);
  }, 60_000);
});
