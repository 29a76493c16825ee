import { execFile } from 'node:child_process';
import { CLI, createTestEnv, waitFor, type TestEnv } from '../helpers/services.js';
import { capturedLog } from '../helpers/captured-log.js';
import { makeJob } from '../helpers/live-jobs.js';
import { watchProbes, type ProbeWatch } from '../helpers/probes.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';

interface Run {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/** `node dist/cli.js …`, killed if it outlives `killAfterMs` (a hang fails the test, it does not stall it). */
function cli(args: string[], env: Record<string, string>, killAfterMs = 30_000): Promise<Run> {
  const began = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: killAfterMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number | null }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, ms: Date.now() - began, stdout, stderr });
      },
    );
  });
}

describe('silent peers', () => {
  let t: TestEnv;
  let producer: Producer;
  let worker: RunningWorker | undefined;
  let proxy: TcpProxy;
  const watches: ProbeWatch[] = [];
  const watch = (w: ProbeWatch) => (watches.push(w), w);
  const completed = async (id: string) =>
    (await t.query('select 1 from enhancement_history where job_id = $1 and status = $2', [id, 'completed']))
      .length === 1;

  beforeAll(async () => {
    t = await createTestEnv('silent');
    producer = await openProducer(t.config());
  });
  beforeEach(async () => {
    proxy = await startTcpProxy(5672);
  });
  afterEach(async () => {
    await Promise.all(watches.splice(0).map((w) => w.stop()));
    await worker?.stop();
    worker = undefined;
    await proxy.close();
  });
  afterAll(async () => {
    await producer?.close();
    await t?.teardown();
  });

  it('a broker blackholed: noticed within about 2 heartbeats, /readyz 503 meanwhile, reconnected once healed', async () => {
    const { log, lines } = capturedLog(`mq-${t.prefix}`);
    worker = await runWorker(
      t.config({
        AMQP_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}`,
        AMQP_HEARTBEAT_S: '1',
        // A reconnect try made during the partition waits out its connect timeout even once healed.
        AMQP_CONNECT_TIMEOUT_MS: '1000',
        AMQP_RECONNECT_BASE_MS: '200',
        AMQP_RECONNECT_MAX_MS: '400',
      }),
      log,
    );
    const before = makeJob();
    await producer.publishJob(before);
    await waitFor('a job before', () => completed(before.job_id));
    const probes = watch(watchProbes(worker.http.port, 50));

    const cutAt = Date.now();
    proxy.blackhole();
    const lost = await waitFor(
      'the loss to be noticed',
      () => lines.find((l) => l.msg === 'lost the broker connection; reconnecting'),
      10_000,
    );
    const detectMs = Date.parse(String(lost.ts)) - cutAt;
    expect(lost.error_message).toMatch(/^no frame from the broker for \d+ ms$/);
    await waitFor('readiness to say so', () =>
      probes
        .of('/readyz', cutAt)
        .some((p) => p.status === 503 && p.reason === 'AMQP connection lost; reconnecting'),
    );
    const during = makeJob();
    await producer.publishJob(during); // the producer's own connection is not behind the proxy
    await new Promise((r) => setTimeout(r, 500));
    proxy.restore();
    const healedAt = Date.now();
    await waitFor('reconnected', () => lines.some((l) => l.msg === 'reconnected to the broker'), 10_000);
    await waitFor('the job sent meanwhile', () => completed(during.job_id), 10_000);
    const recoverMs = Date.now() - healedAt;
    await waitFor('ready again', () => probes.of('/readyz', healedAt).some((p) => p.status === 200));

    // Two heartbeat intervals of silence since the last frame read (the broker's heartbeat came up to
    // half an interval before the cut), checked every quarter interval, plus slack for busy timers.
    expect(detectMs).toBeGreaterThanOrEqual(1_400);
    expect(detectMs).toBeLessThan(3_000);
    console.log(
      `broker blackhole (heartbeat 1 s): noticed after ${detectMs} ms; job done ${recoverMs} ms after healing`,
    );
  });

  it('stops within bounds while the broker is blackholed and its heartbeat has not noticed yet', async () => {
    worker = await runWorker(
      t.config({ AMQP_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}`, AMQP_HEARTBEAT_S: '60' }),
      capturedLog(`mq-stop-${t.prefix}`).log,
    );
    proxy.blackhole();
    const began = Date.now();
    await worker.stop();
    const ms = Date.now() - began;
    console.log(`stop during a broker blackhole: ${ms} ms`);
    // One unanswered cancel (3 s), then the socket is cut.
    expect(ms).toBeLessThan(4_500);
    expect(worker.worker.state).toBe('stopped');
  });

  it('a server that accepts and never answers: migrate and worker exit non-zero within the connect timeout and a few seconds', async () => {
    proxy.hold();
    const pg = await startTcpProxy(5432);
    pg.hold();
    try {
      const silentDb = {
        ...t.env,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${pg.port}/${t.dbName}`,
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
      };
      const silentBroker = {
        ...t.env,
        AMQP_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}`,
        AMQP_CONNECT_TIMEOUT_MS: '1000',
      };
      const [migrate, workerDb, workerMq] = await Promise.all([
        cli(['migrate'], silentDb),
        cli(['worker'], silentDb),
        cli(['worker'], silentBroker),
      ]);
      console.log(
        `silent peer at start (connect timeout 1000 ms): migrate exited ${migrate.code} after ${migrate.ms} ms, ` +
          `worker (db) ${workerDb.code} after ${workerDb.ms} ms, worker (broker) ${workerMq.code} after ${workerMq.ms} ms`,
      );
      for (const r of [migrate, workerDb, workerMq]) {
        expect(r.code).toBe(1);
        // Each alone takes about 2 s here (1 s of it loading modules); three at once on two busy
        // cores take longer. Before the bounds, none of them ever exited.
        expect(r.ms).toBeLessThan(1_000 + 9_000);
        expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^enhancer: .*time/i)]);
      }
    } finally {
      await pg.close();
    }
  });

  it('no password appears in any output of a failing start', async () => {
    const SECRET = 'S3cret-Pw';
    proxy.hold();
    const pg = await startTcpProxy(5432);
    pg.hold();
    try {
      const runs = await Promise.all([
        // Unparseable URLs: the config error names the variable and shows the value, redacted.
        cli(['worker'], { ...t.env, DATABASE_URL: `postgres://app:${SECRET}@db:notaport/x` }),
        cli(['worker'], { ...t.env, AMQP_URL: `amqp://app:${SECRET}@rabbit:notaport/` }),
        // The broker refuses the login; Postgres (trust) takes any password.
        cli(['worker'], {
          ...t.env,
          LOG_LEVEL: 'debug',
          AMQP_URL: `amqp://guest:${SECRET}@127.0.0.1:5672`,
          DATABASE_URL: `postgres://postgres:${SECRET}@127.0.0.1:5432/${t.dbName}`,
        }),
        // Silent servers behind URLs with passwords.
        cli(['worker'], {
          ...t.env,
          LOG_LEVEL: 'debug',
          DATABASE_URL: `postgres://postgres:${SECRET}@127.0.0.1:${pg.port}/${t.dbName}`,
          DATABASE_CONNECT_TIMEOUT_MS: '1000',
        }),
        cli(['migrate'], {
          ...t.env,
          DATABASE_URL: `postgres://postgres:${SECRET}@127.0.0.1:${pg.port}/${t.dbName}`,
          DATABASE_CONNECT_TIMEOUT_MS: '1000',
        }),
        cli(['dlq', 'list'], {
          ...t.env,
          AMQP_URL: `amqp://guest:${SECRET}@127.0.0.1:${proxy.port}`,
          AMQP_CONNECT_TIMEOUT_MS: '1000',
        }),
        cli(['enqueue', '--tenant-id', 'a', '--ticket-id', 'T'], {
          ...t.env,
          AMQP_URL: `amqp://guest:${SECRET}@127.0.0.1:5672`,
        }),
      ]);
      expect(runs.map((r) => r.code)).toEqual([2, 2, 1, 1, 1, 1, 1]);
      for (const r of runs) {
        expect(r.stderr.length).toBeGreaterThan(0);
        expect(`${r.stdout}\n${r.stderr}`).not.toContain(SECRET);
      }
      expect(runs[0].stderr).toContain('DATABASE_URL must be a URL, got "postgres://app:***@db:notaport/x"');
    } finally {
      await pg.close();
    }
  });
});
