import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CLI,
  createTestEnv,
  queueDepth,
  spawnWorker,
  started,
  waitFor,
  type ChildWorker,
  type TestEnv,
} from '../helpers/services.js';
import { makeJob } from '../helpers/live-jobs.js';

const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the enhancer CLI', () => {
  let t: TestEnv;
  let dir: string;
  const cli = async (args: string[], env: Record<string, string> = {}): Promise<Result> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
        env: { PATH: process.env.PATH ?? '', ...t.env, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const statuses = (ids: string[]) =>
    t.query<{ job_id: string; status: string }>(
      'select job_id::text, status from enhancement_history where job_id = any($1::uuid[]) order by job_id',
      [ids],
    );

  beforeAll(async () => {
    t = await createTestEnv('cli');
    dir = await mkdtemp(path.join(tmpdir(), 'enhancer-cli-'));
  });
  afterAll(async () => {
    await t?.teardown();
  });

  it('refuses a bad setting with one line naming the variable and what it accepts, exit code 2', async () => {
    const r = await cli(['worker'], { WORKER_CONCURRENCY: 'lots' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('enhancer: WORKER_CONCURRENCY must be a whole number from 1 to 1000, got "lots"\n');
  });

  it('worker --help prints help and starts nothing (no broker or database is reachable here)', async () => {
    const r = await cli(['worker', '--help'], {
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:1',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nowhere',
      WORKER_CONCURRENCY: 'not even valid',
    });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Usage: enhancer worker /);
    expect(r.stdout).not.toMatch(/"msg"|level/);
  });

  it('ends quietly when its reader goes away (`enhancer --help | head -1`)', async () => {
    // The read end is closed before the child writes, so its first write fails with EPIPE.
    const child = spawn(process.execPath, [CLI, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('enqueue --help describes its flags', async () => {
    const r = await cli(['enqueue', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--file', '--tenant-id', '--ticket-id', '--priority'])
      expect(r.stdout).toContain(flag);
  });

  it('a missing flag is named as the flag, not as the job field', async () => {
    const r = await cli(['enqueue', '--ticket-id', 'T-1']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('enhancer: --tenant-id is required (or --file jobs.ndjson)\n');
  });

  it('a worker on a database that was never created says to run migrate first', async () => {
    const r = await cli(['worker'], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:5432/never_${Date.now()}`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^enhancer: .*database "never_\d+" does not exist; run "enhancer migrate" first$/,
      ),
    ]);
  });

  it('dlq list and replay on a broker where no worker ever ran: no dead letters, exit 0', async () => {
    const fresh = { QUEUE_PREFIX: `fresh-${randomUUID()}` };
    const listed = await cli(['dlq', 'list'], fresh);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(/^no dead letters: fresh-.*\.dead does not exist yet/);
    expect((await cli(['dlq', 'replay'], fresh)).code).toBe(0);
  });

  it('refuses an unknown command and unknown flags with exit code 2', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    const r = await cli(['enqueue', '--colour', 'blue']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`enhancer: unknown option '--colour' (see "enhancer enqueue --help")\n`);
  });

  it('a worker that cannot reach Postgres or RabbitMQ at start exits 1 with one line', async () => {
    const noDb = await cli(['worker'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:5432/nowhere' });
    expect(noDb.code).toBe(1);
    expect(noDb.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^enhancer: postgres unavailable: /),
    ]);
    const noBroker = await cli(['worker'], { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' });
    expect(noBroker.code).toBe(1);
    expect(noBroker.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^enhancer: .*ECONNREFUSED.*; is the server running, and are AMQP_URL and DATABASE_URL right\?$/,
      ),
    ]);
  });

  it('migrate is idempotent', async () => {
    const r = await cli(['migrate']);
    expect(r).toMatchObject({ code: 0, stdout: 'database is up to date\n' });
  });

  it('enqueue --file validates every line first: one bad line publishes nothing', async () => {
    const file = path.join(dir, 'bad.ndjson');
    await writeFile(
      file,
      `${JSON.stringify(makeJob())}\n${JSON.stringify({ ...makeJob(), priority: 'urgent' })}\n`,
    );
    const r = await cli(['enqueue', '--file', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^enhancer: .*bad\.ndjson:2: priority must be one of low, medium, high, critical, got "urgent"\n$/,
    );
    expect(r.stdout).toBe('');
    expect(await queueDepth(t.names.jobs)).toBe(0);
  });

  it('enqueue prints each job_id; a worker completes them; dlq list and replay bring a failure back', async () => {
    const file = path.join(dir, 'jobs.ndjson');
    const given = randomUUID();
    const lines = [
      { job_id: given, ticket_id: 'T-1', tenant_id: 'acme', description: 'VPN drops', priority: 'low' },
      { ticket_id: 'T-2', tenant_id: 'acme', description: 'no job_id: one is assigned', priority: 'high' },
      {
        ticket_id: 'T-3',
        tenant_id: 'globex',
        description: 'fails for good',
        priority: 'medium',
        simulate: { fail_times: 1, error: 'permanent' },
      },
    ];
    await writeFile(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    const r = await cli(['enqueue', '--file', file]);
    expect(r.code).toBe(0);
    const ids = r.stdout.trim().split('\n');
    expect(ids).toHaveLength(3);
    expect(ids[0]).toBe(given);
    ids.forEach((id) => expect(id).toMatch(/^[0-9a-f-]{36}$/));

    const worker = spawnWorker({ ...t.env, ENHANCER_PIPELINE: 'simulate' });
    let fixed: ChildWorker | undefined;
    try {
      await started(worker);
      await waitFor('all three to end', async () => {
        const s = await statuses(ids);
        return s.length === 3 && s.every((x) => x.status !== 'pending');
      });
      expect((await statuses([ids[2]!]))[0]?.status).toBe('failed');

      const listed = await cli(['dlq', 'list', '--json']);
      expect(listed.code).toBe(0);
      const letters = listed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(letters).toEqual([
        expect.objectContaining({ job_id: ids[2], tenant_id: 'globex', reason: 'permanent', attempts: 1 }),
      ]);
      // Listing is non-destructive.
      expect(await queueDepth(t.names.dead)).toBe(1);

      // The operator fixes the cause (here: a worker without the simulated failure) and replays.
      worker.proc.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);
      const replayed = await cli(['dlq', 'replay', '--limit', '5']);
      expect(replayed.code).toBe(0);
      expect(replayed.stdout).toBe(`replayed ${ids[2]}\n1 replayed, 0 left in ${t.names.dead}\n`);
      expect(await queueDepth(t.names.dead)).toBe(0);
      expect((await statuses([ids[2]!]))[0]?.status).toBe('pending');
      fixed = spawnWorker({ ...t.env, ENHANCER_PIPELINE: 'placeholder' });
      await started(fixed);
      await waitFor(
        'the replayed job to complete',
        async () => (await statuses([ids[2]!]))[0]?.status === 'completed',
      );
      const [again] = await t.query<{ attempts: number }>(
        'select attempts from enhancement_history where job_id = $1',
        [ids[2]],
      );
      expect(again?.attempts).toBe(1);
    } finally {
      for (const w of [worker, fixed]) {
        if (w && w.proc.exitCode === null) {
          w.proc.kill('SIGTERM');
          expect((await w.exited).code).toBe(0);
        }
      }
    }
  });
});
