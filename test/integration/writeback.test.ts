import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';
import { dlq } from '../../src/cli/dlq.js';
import { startFakeModel, type FakeModel } from '../../tools/fakes/openai-server.js';
import { startFakeServiceDesk, type FakeServiceDesk } from '../../tools/fakes/servicedesk-server.js';
import { silentLogger } from '../../src/observability/logger.js';
import { marker } from '../../src/pipeline/writeback/note-html.js';
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';
import { seedContext } from '../helpers/context-fixtures.js';
import { makeJob, rawDeadLetters } from '../helpers/live-jobs.js';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/services.js';

interface Row {
  status: string;
  attempts: number;
  result_summary: string | null;
  error_message: string | null;
  result: {
    note: string;
    synthesis: { kind: string; fallback_reason?: string; model?: string };
    writeback?: { status: string; note_id?: string; how?: string };
  } | null;
}

describe('notes written back to ServiceDesk Plus, exactly once', () => {
  let t: TestEnv;
  let dir: string;
  let tenantsFile: string;
  let sdp: FakeServiceDesk;
  let model: FakeModel;
  let worker: RunningWorker;
  let producer: Producer;

  const tenants = (withPlain: boolean) =>
    JSON.stringify({
      tenants: {
        acme: { servicedesk: { url: sdp.url, auth: 'authtoken', token: 'acme-tech-key' } },
        plain: withPlain ? { servicedesk: { url: sdp.url, token: 'acme-tech-key' } } : {},
      },
    });
  const final = (jobId: string, timeoutMs = 20_000) =>
    waitFor(
      `job ${jobId} to end`,
      async () => {
        const [r] = await t.query<Row>('select * from enhancement_history where job_id = $1', [jobId]);
        return r && r.status !== 'pending' ? r : undefined;
      },
      timeoutMs,
    );
  const notesFor = (ticket: string) => sdp.notes.filter((n) => n.requestId === ticket);

  beforeAll(async () => {
    t = await createTestEnv('writeback');
    [sdp, model] = await Promise.all([startFakeServiceDesk(), startFakeModel()]);
    sdp.token = 'acme-tech-key';
    dir = await mkdtemp(path.join(os.tmpdir(), 'enhancer-wb-'));
    tenantsFile = path.join(dir, 'tenants.json');
    await writeFile(tenantsFile, tenants(false));
    await seedContext(t.databaseUrl, 'acme', {
      articles: [
        {
          article_id: 'KB-<script>',
          title: 'Printer <img src=x onerror=alert(1)>',
          body: 'printer toner smear fix',
        },
      ],
    });
    worker = await runWorker(
      t.config({
        TENANTS_FILE: tenantsFile,
        LLM_BASE_URL: model.baseUrl,
        LLM_MODEL: 'fake-model',
        LLM_API_KEY: 'sk-never-printed',
        SERVICEDESK_TIMEOUT_MS: '1000',
        RETRY_BASE_MS: '100',
        RETRY_MAX: '2',
      }),
      silentLogger,
    );
    producer = await openProducer(t.config());
  });
  afterAll(async () => {
    await producer?.close();
    await worker?.stop();
    await Promise.all([sdp?.close(), model?.close()]);
    await rm(dir, { recursive: true, force: true });
    await t?.teardown();
  });

  it("posts the model's note once, escaped: nothing from the ticket, the data or the model is markup", async () => {
    model.next.push({
      kind: 'answer',
      text: 'Toner smear.\n- see KB <img src=x onerror=alert(1)>\n- <script>x</script>',
    });
    const job = makeJob({
      tenant_id: 'acme',
      ticket_id: 'WB-1',
      description: 'printer toner smear <b>again</b>',
    });
    await producer.publishJob(job);
    const row = await final(job.job_id);
    expect(row).toMatchObject({ status: 'completed', attempts: 1 });
    expect(row.result!.synthesis).toMatchObject({ kind: 'llm', model: 'fake-model' });
    const [note, ...more] = notesFor('WB-1');
    expect(more).toEqual([]);
    expect(row.result!.writeback).toEqual({ status: 'posted', note_id: note!.id, how: 'posted' });
    expect(note!.description).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(note!.description).toContain(marker(job.job_id));
    expect(
      (note!.description.match(/<[^>]*>/g) ?? []).every((tag) => /^<\/?(p|ul|li|b|small)>$/.test(tag)),
    ).toBe(true);
    expect(sdp.auth.at(-1)).toBe('acme-tech-key');
    // The prompt carried the ticket inside the data block only.
    const user = model.calls.at(-1)!.messages[1]!.content;
    expect(user.split('\n')[3]).toContain('printer toner smear');
  });

  it('posts one note when the first POST gets a 500 (the retry posts)', async () => {
    sdp.next.push({ kind: 'status', status: 500 });
    const job = makeJob({ tenant_id: 'acme', ticket_id: 'WB-2', description: 'printer jam' });
    await producer.publishJob(job);
    expect(await final(job.job_id)).toMatchObject({ status: 'completed', attempts: 2 });
    expect(notesFor('WB-2')).toHaveLength(1);
  });

  it('adopts the note when the POST was accepted but the answer never came (connection cut)', async () => {
    sdp.next.push({ kind: 'accept-then-cut' });
    const job = makeJob({ tenant_id: 'acme', ticket_id: 'WB-3', description: 'printer jam' });
    await producer.publishJob(job);
    const row = await final(job.job_id);
    expect(row).toMatchObject({ status: 'completed', attempts: 2 });
    expect(notesFor('WB-3')).toHaveLength(1);
    expect(row.result!.writeback).toEqual({
      status: 'posted',
      note_id: notesFor('WB-3')[0]!.id,
      how: 'adopted',
    });
  });

  it.each([
    [401, 'auth'],
    [404, 'not_found'],
  ])('dead-letters on %i (%s) at once, keeping the note in history', async (status, kind) => {
    sdp.next.push({ kind: 'status', status });
    const job = makeJob({ tenant_id: 'acme', ticket_id: `WB-${status}`, description: 'printer jam' });
    await producer.publishJob(job);
    const row = await final(job.job_id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.error_message).toContain(`servicedesk write-back failed (${kind})`);
    expect(row.result!.note.length).toBeGreaterThan(0);
    expect(notesFor(`WB-${status}`)).toHaveLength(0);
    const letters = await rawDeadLetters(t.names);
    const mine = letters.find((l) => l.properties.messageId === job.job_id);
    expect(mine?.properties.headers?.['x-enhancer-reason']).toBe('permanent');
  });

  it('on dlq replay of a job whose note was posted, adopts it instead of posting again', async () => {
    // Accepted then cut, and every later lookup fails until the retries run out: dead-lettered.
    sdp.next.push({ kind: 'accept-then-cut' });
    sdp.nextList.push(500, 500, 500);
    const job = makeJob({ tenant_id: 'acme', ticket_id: 'WB-replay', description: 'printer jam' });
    await producer.publishJob(job);
    expect(await final(job.job_id)).toMatchObject({ status: 'failed' });
    expect(notesFor('WB-replay')).toHaveLength(1);
    await dlq('replay', { limit: '100', json: false, includeInvalid: false }, t.config(), () => undefined);
    await waitFor('the replayed job to complete', async () => {
      const [r] = await t.query<Row>('select * from enhancement_history where job_id = $1', [job.job_id]);
      return r?.status === 'completed' ? r : undefined;
    });
    expect(notesFor('WB-replay')).toHaveLength(1);
  });

  it('keeps the note in history only for a tenant without a helpdesk, and picks up a change of the file', async () => {
    const before = makeJob({ tenant_id: 'plain', ticket_id: 'WB-plain-1', description: 'printer jam' });
    await producer.publishJob(before);
    const row = await final(before.job_id);
    expect(row.result!.writeback).toEqual({ status: 'skipped' });
    expect(notesFor('WB-plain-1')).toHaveLength(0);
    // As the kubelet updates a Secret volume: write aside, rename over.
    await writeFile(`${tenantsFile}.tmp`, tenants(true));
    await rename(`${tenantsFile}.tmp`, tenantsFile);
    await waitFor('the reload', async () => {
      const probe = makeJob({ tenant_id: 'plain', ticket_id: `WB-plain-${Date.now()}`, description: 'x' });
      await producer.publishJob(probe);
      const r = await final(probe.job_id);
      return r.result?.writeback?.status === 'posted';
    });
  });

  it('falls back to the extractive note when the model fails, and still posts it', async () => {
    model.next.push({ kind: 'status', status: 500 });
    const job = makeJob({ tenant_id: 'acme', ticket_id: 'WB-fallback', description: 'printer toner smear' });
    await producer.publishJob(job);
    const row = await final(job.job_id);
    expect(row.result!.synthesis).toEqual({ kind: 'extractive', fallback_reason: 'server_error' });
    expect(notesFor('WB-fallback')[0]!.description).toContain('Context for ticket WB-fallback');
  });
});
