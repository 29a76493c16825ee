import {
  createTestEnv,
  spawnWorker,
  started,
  waitFor,
  type ChildWorker,
  type TestEnv,
} from '../helpers/services.js';
import { makeJob, rawDeadLetters } from '../helpers/live-jobs.js';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';
import { H } from '../../src/adapters/amqp/headers.js';

/** Restarts a worker that died, as the kubelet would, and remembers every process it ran. */
class Supervisor {
  readonly all: ChildWorker[] = [];
  private stopping = false;
  constructor(private readonly env: Record<string, string>) {}
  start(): ChildWorker {
    const w = spawnWorker(this.env);
    this.all.push(w);
    // Only a killed worker is restarted: one that cannot start at all must fail the test, not loop.
    void w.exited.then(({ signal }) => {
      if (!this.stopping && signal === 'SIGKILL') this.start();
    });
    return w;
  }
  lines(): string[] {
    return this.all.flatMap((w) => w.lines);
  }
  completedCount(jobId: string): number {
    return this.lines().filter((l) => l.includes('"msg":"job completed"') && l.includes(jobId)).length;
  }
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }[]> {
    this.stopping = true;
    const live = this.all.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
    live.forEach((w) => w.proc.kill('SIGTERM'));
    return Promise.all(live.map((w) => w.exited));
  }
}

describe('workers that die', () => {
  let t: TestEnv;
  let producer: Producer;
  let sup: Supervisor | undefined;
  const DELIVERY_LIMIT = '2';
  const history = (jobId: string) =>
    t.query<{ status: string; attempts: number }>(
      'select status, attempts from enhancement_history where job_id = $1',
      [jobId],
    );

  beforeEach(async () => {
    t = await createTestEnv('crash');
    producer = await openProducer(t.config({ QUEUE_DELIVERY_LIMIT: DELIVERY_LIMIT }));
  });
  afterEach(async () => {
    await sup?.stop();
    await producer?.close();
    await t?.teardown();
  });

  it('kill -9 mid-job: the job completes on another worker, exactly once in history', async () => {
    sup = new Supervisor({
      ...t.env,
      ENHANCER_PIPELINE: 'simulate',
      WORKER_CONCURRENCY: '4',
      QUEUE_DELIVERY_LIMIT: DELIVERY_LIMIT,
    });
    const [a, b] = [sup.start(), sup.start()];
    await Promise.all([started(a), started(b)]);
    const job = makeJob({ simulate: { sleep_ms: 2000 } });
    await producer.publishJob(job);
    const holder = await waitFor('a worker to start the job', () =>
      [a, b].find((w) => w.lines.some((l) => l.includes('"msg":"job started"') && l.includes(job.job_id))),
    );
    holder.proc.kill('SIGKILL');
    await waitFor('completion', async () => (await history(job.job_id))[0]?.status === 'completed', 30_000);
    expect(await history(job.job_id)).toEqual([{ status: 'completed', attempts: 1 }]);
    const survivor = holder === a ? b : a;
    const s = sup;
    expect(
      survivor.lines.filter((l) => l.includes('"msg":"job completed"') && l.includes(job.job_id)),
    ).toHaveLength(1);
    expect(s.completedCount(job.job_id)).toBe(1);
    expect((await s.stop()).map((e) => e.code)).toEqual(expect.arrayContaining([0]));
  });

  it('a job that crashes its worker takes no innocent job with it (100 good, 1 crash, 2 workers)', async () => {
    sup = new Supervisor({
      ...t.env,
      ENHANCER_PIPELINE: 'simulate',
      WORKER_CONCURRENCY: '8',
      QUEUE_DELIVERY_LIMIT: DELIVERY_LIMIT,
    });
    const s = sup;
    await Promise.all([started(s.start()), started(s.start())]);
    const good = Array.from({ length: 100 }, () => makeJob({ simulate: { sleep_ms: 30 } }));
    const crash = makeJob({ ticket_id: 'T-crash', simulate: { crash: true } });
    for (const [i, job] of good.entries()) {
      if (i === 10) await producer.publishJob(crash);
      await producer.publishJob(job);
    }
    await waitFor(
      'all good jobs completed and the crash job failed',
      async () => {
        const [counted] = await t.query<{ done: string }>(
          `select count(*) as done from enhancement_history where status = 'completed'`,
        );
        const crashed = (await history(crash.job_id))[0]?.status === 'failed';
        return Number(counted?.done) === 100 && crashed;
      },
      90_000,
      200,
    );
    const letters = await rawDeadLetters(t.names);
    expect(letters.map((m) => String(m.properties.messageId))).toEqual([crash.job_id]);
    expect(letters[0]!.properties.headers?.[H.reason]).toBe('delivery_limit');
    const statuses = await t.query<{ status: string; n: string }>(
      'select status, count(*) as n from enhancement_history group by status order by status',
    );
    expect(statuses).toEqual([
      { status: 'completed', n: '100' },
      { status: 'failed', n: '1' },
    ]);
    const attempts = await t.query<{ attempts: number; n: string }>(
      `select attempts, count(*) as n from enhancement_history where status = 'completed' group by attempts`,
    );
    expect(attempts).toEqual([{ attempts: 1, n: '100' }]);
    // A SIGKILLed process may lose its last log lines, so logs can only show a job never completed twice.
    for (const job of good) expect(s.completedCount(job.job_id)).toBeLessThanOrEqual(1);
    // It really did crash workers (the supervisor restarted them), and the innocents it hit ran alone.
    expect(s.all.length).toBeGreaterThan(2);
    expect(s.lines().some((l) => l.includes('redelivered job moved aside to run alone'))).toBe(true);
    expect((await s.stop()).every((e) => e.code === 0)).toBe(true);
  }, 120_000);
});
