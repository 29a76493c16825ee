import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';
import { startFakeServiceDesk, type FakeServiceDesk } from '../../tools/fakes/servicedesk-server.js';
import { makeJob } from '../helpers/live-jobs.js';
import {
  createTestEnv,
  spawnWorker,
  started,
  waitFor,
  type ChildWorker,
  type TestEnv,
} from '../helpers/services.js';

describe('a worker killed after it posted the note', () => {
  let t: TestEnv;
  let sdp: FakeServiceDesk;
  let dir: string;
  let producer: Producer;
  const workers: ChildWorker[] = [];

  beforeAll(async () => {
    t = await createTestEnv('writeback_crash');
    sdp = await startFakeServiceDesk();
    dir = await mkdtemp(path.join(os.tmpdir(), 'enhancer-wbc-'));
    await writeFile(
      path.join(dir, 'tenants.json'),
      JSON.stringify({ tenants: { acme: { servicedesk: { url: sdp.url, token: 'k' } } } }),
    );
    producer = await openProducer(t.config());
  });
  afterAll(async () => {
    for (const w of workers)
      if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await producer?.close();
    await sdp?.close();
    await rm(dir, { recursive: true, force: true });
    await t?.teardown();
  });

  it('leaves exactly one note: the next worker waits out the lease, finds the note and adopts it', async () => {
    const env = {
      ...t.env,
      TENANTS_FILE: path.join(dir, 'tenants.json'),
      SERVICEDESK_TIMEOUT_MS: '1000',
      RETRY_BASE_MS: '200',
    };
    const first = spawnWorker(env);
    workers.push(first);
    await started(first);
    // The helpdesk stores the note and never answers: the worker is inside the POST when it dies.
    sdp.next.push({ kind: 'accept-then-hang' });
    const job = makeJob({ tenant_id: 'acme', ticket_id: 'CRASH-1', description: 'printer jam' });
    await producer.publishJob(job);
    await waitFor('the note to reach the helpdesk', () => sdp.notes.length === 1);
    first.proc.kill('SIGKILL');
    await first.exited;

    const second = spawnWorker(env);
    workers.push(second);
    await started(second);
    const row = await waitFor(
      'the job to complete on the second worker',
      async () => {
        const [r] = await t.query<{
          status: string;
          result: { writeback: { how: string; note_id: string } };
        }>('select status, result from enhancement_history where job_id = $1', [job.job_id]);
        return r?.status === 'completed' ? r : undefined;
      },
      30_000,
    );
    expect(sdp.notes.filter((n) => n.requestId === 'CRASH-1')).toHaveLength(1);
    expect(row.result.writeback).toEqual({ status: 'posted', note_id: sdp.notes[0]!.id, how: 'adopted' });
    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});
