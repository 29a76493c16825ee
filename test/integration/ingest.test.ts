import http from 'node:http';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { AMQP_URL, createTestEnv, waitFor, type TestEnv } from '../helpers/services.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { runIngest, type RunningIngest } from '../../src/ingest/run-ingest.js';
import { sign } from '../../src/ingest/signature.js';
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';
import { silentLogger } from '../../src/observability/logger.js';
import { JOB_ROUTING_KEY } from '../../src/adapters/amqp/topology.js';

const SECRETS = {
  acme: 'acme-webhook-secret-0123456789',
  noisy: 'noisy-webhook-secret-0123456789',
  strict: 'strict-webhook-secret-0123456789',
  newco: 'newco-webhook-secret-0123456789',
};
type TenantName = keyof typeof SECRETS;

interface PostOptions {
  tenant?: TenantName | 'nobody' | null;
  /** Sign with this secret instead of the tenant's; null sends no signature. */
  secret?: string | null;
  /** Unix seconds to send (and sign) as X-Timestamp. */
  timestamp?: number;
  contentType?: string;
  headers?: Record<string, string>;
  port?: number;
  method?: string;
  path?: string;
}

interface Posted {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Record<string, unknown>;
}

describe('enhancer ingest against real RabbitMQ and Postgres', () => {
  let t: TestEnv;
  let dir: string;
  let tenantsFile: string;
  let ingest: RunningIngest;
  let worker: RunningWorker;
  let conn: ChannelModel;
  let tapCh: Channel;
  const tap = () => `${t.prefix}.test-tap`;
  const tenantsJson = (names: readonly TenantName[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      tenants: Object.fromEntries(
        names.map((n) => [n, { secret: SECRETS[n], ...(n === 'strict' ? { require_timestamp: true } : {}) }]),
      ),
      ...extra,
    });

  async function post(body: unknown, o: PostOptions = {}): Promise<Posted> {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const tenant = o.tenant === undefined ? 'acme' : o.tenant;
    const secret = o.secret === undefined && tenant && tenant !== 'nobody' ? SECRETS[tenant] : o.secret;
    const ts = o.timestamp === undefined ? undefined : String(o.timestamp);
    const headers: Record<string, string> = {
      'content-type': o.contentType ?? 'application/json',
      ...(tenant ? { 'x-tenant-id': tenant } : {}),
      ...(secret ? { 'x-signature': sign(secret, Buffer.from(raw), ts) } : {}),
      ...(ts ? { 'x-timestamp': ts } : {}),
      ...o.headers,
    };
    const res = await fetch(
      `http://127.0.0.1:${o.port ?? ingest.http.port}${o.path ?? '/webhook/servicedesk'}`,
      {
        method: o.method ?? 'POST',
        headers,
        ...(o.method === 'GET' ? {} : { body: raw }),
      },
    );
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  }

  /** Every message published to the jobs exchange with key `job` is copied to the tap queue. */
  async function tapped(): Promise<{ body: Record<string, unknown>; headers: Record<string, unknown> }[]> {
    const out = [];
    for (;;) {
      const m = await tapCh.get(tap(), { noAck: false });
      if (!m) break;
      out.push({
        body: JSON.parse(m.content.toString()) as Record<string, unknown>,
        headers: m.properties.headers ?? {},
      });
    }
    tapCh.nackAll(true);
    return out;
  }
  const tappedFor = async (ticketId: string) => (await tapped()).filter((m) => m.body.ticket_id === ticketId);

  const now = () => Math.floor(Date.now() / 1000);
  const ticket = (id: string, extra: Record<string, unknown> = {}) => ({
    ticket_id: id,
    description: 'printer on floor 3 is on fire',
    priority: 'high',
    ...extra,
  });

  beforeAll(async () => {
    t = await createTestEnv('ingest');
    dir = await mkdtemp(path.join(tmpdir(), 'enhancer-ingest-'));
    tenantsFile = path.join(dir, 'tenants.json');
    await writeFile(tenantsFile, tenantsJson(['acme', 'noisy', 'strict']));
    ingest = await runIngest(
      t.config({ TENANTS_FILE: tenantsFile, INGEST_PORT: '0', INGEST_RATE_PER_TENANT: '20' }),
      silentLogger,
    );
    await ingest.connected;
    conn = await amqp.connect(AMQP_URL);
    tapCh = await conn.createChannel();
    await tapCh.assertQueue(tap(), { durable: false, autoDelete: false });
    await tapCh.bindQueue(tap(), t.names.exchange, JOB_ROUTING_KEY);
    worker = await runWorker(t.config(), silentLogger);
  });
  afterAll(async () => {
    await ingest?.stop();
    await worker?.stop();
    await tapCh?.deleteQueue(tap()).catch(() => undefined);
    await conn?.close();
    await t?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('turns a signed ServiceDesk Plus request into a job that a worker completes', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await post(
      {
        request: { id: 90210, subject: 'VPN down', description: 'since 9:00', priority: { name: 'Urgent' } },
      },
      { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } },
    );
    expect(res.status).toBe(202);
    expect(Object.keys(res.json)).toEqual(['job_id']);
    const jobId = String(res.json.job_id);
    const row = await waitFor('completed row', async () => {
      const r = (await t.query('select * from enhancement_history where job_id = $1', [jobId]))[0];
      return r?.status === 'completed' ? r : undefined;
    });
    expect(row).toMatchObject({ ticket_id: '90210', tenant_id: 'acme', status: 'completed' });
    const [msg] = await tappedFor('90210');
    expect(msg!.body).toMatchObject({
      job_id: jobId,
      ticket_id: '90210',
      tenant_id: 'acme',
      description: 'VPN down\n\nsince 9:00',
      priority: 'critical',
      trace_id: traceId,
    });
    expect(Date.now() - Date.parse(String(msg!.body.timestamp))).toBeLessThan(60_000);
    // The caller's trace continues through the queue (W3C trace context in the message headers).
    expect(String(msg!.headers.traceparent)).toContain(traceId);
  });

  it('accepts the flat shape with a fresh signed timestamp', async () => {
    const res = await post(ticket('FLAT-1', { priority: 'low' }), { timestamp: now() });
    expect(res.status).toBe(202);
    const [msg] = await tappedFor('FLAT-1');
    expect(msg!.body).toMatchObject({ job_id: res.json.job_id, priority: 'low', tenant_id: 'acme' });
  });

  it('answers 400 naming the field for a bad body, and publishes nothing', async () => {
    expect(await post('{not json')).toMatchObject({
      status: 400,
      json: { error: 'invalid_body', field: 'body' },
    });
    expect(await post({ request: { subject: 'no id' } })).toMatchObject({
      status: 400,
      json: { field: 'request.id' },
    });
    const long = await post(ticket('LONG-1', { description: 'x'.repeat(64 * 1024 + 1) }));
    expect(long).toMatchObject({ status: 400, json: { field: 'description' } });
    expect(await tappedFor('LONG-1')).toEqual([]);
  });

  it('answers 401 for a missing or wrong signature, and for a replayed old timestamp', async () => {
    expect((await post(ticket('SIG-1'), { secret: null })).status).toBe(401);
    const wrong = await post(ticket('SIG-1'), { secret: 'someone-elses-secret-123456' });
    expect(wrong).toMatchObject({
      status: 401,
      json: { error: 'bad_signature', message: 'signature does not match' },
    });
    // Correctly signed, but 10 minutes old: a captured request replayed later.
    const replay = await post(ticket('SIG-1'), { timestamp: now() - 600 });
    expect(replay).toMatchObject({
      status: 401,
      json: { message: 'X-Timestamp outside the allowed window' },
    });
    // A tenant that requires a timestamp refuses a body-only signature.
    expect((await post(ticket('SIG-2'), { tenant: 'strict' })).status).toBe(401);
    expect((await post(ticket('SIG-2'), { tenant: 'strict', timestamp: now() })).status).toBe(202);
    expect(await tappedFor('SIG-1')).toEqual([]);
  });

  it('answers 403 for an unknown or missing tenant, 415 for non-JSON, 413 over 256 KiB', async () => {
    expect(await post(ticket('T-403'), { tenant: 'nobody', secret: SECRETS.acme })).toMatchObject({
      status: 403,
      json: { error: 'unknown_tenant' },
    });
    expect((await post(ticket('T-403'), { tenant: null })).status).toBe(403);
    expect((await post(ticket('T-415'), { contentType: 'text/plain' })).status).toBe(415);
    expect((await post(ticket('T-415'), { contentType: 'application/json; charset=utf-8' })).status).toBe(
      202,
    );
    const big = await post(ticket('T-413', { description: 'x'.repeat(256 * 1024) }));
    expect(big).toMatchObject({ status: 413, json: { error: 'payload_too_large' } });
    expect(await tappedFor('T-413')).toEqual([]);
  });

  it('answers 404 and 405 off the webhook route', async () => {
    expect((await post({}, { path: '/webhook/other' })).status).toBe(404);
    const get = await post({}, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('counts a client that goes away mid-body as 499, not as a server error', async () => {
    const metric = async (code: number) => {
      const text = await (await fetch(`http://127.0.0.1:${ingest.http.port}/metrics`)).text();
      return Number(new RegExp(`ingest_requests_total\\{code="${code}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    };
    const [before499, before500] = [await metric(499), await metric(500)];
    const req = http.request({
      host: '127.0.0.1',
      port: ingest.http.port,
      method: 'POST',
      path: '/webhook/servicedesk',
      headers: { 'content-type': 'application/json', 'x-tenant-id': 'acme', 'content-length': '1000' },
    });
    req.on('error', () => undefined);
    req.write('{"ticket_id":');
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
    await waitFor('499 counted', async () => (await metric(499)) === before499 + 1);
    expect(await metric(500)).toBe(before500);
  });

  it('answers 429 with Retry-After when a tenant exceeds its rate, without publishing', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => post(ticket(`RATE-${i}`), { tenant: 'noisy' })),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 202).length).toBeGreaterThanOrEqual(20);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const published = (await tapped()).filter((m) => String(m.body.ticket_id).startsWith('RATE-'));
    expect(published).toHaveLength(answers.length - limited.length);
    // Other tenants are not affected.
    expect((await post(ticket('RATE-acme'))).status).toBe(202);
  });

  it('publishes a ticket posted repeatedly, in turn or at once, only once, with one job_id', async () => {
    const first = await post(ticket('DUP-1'));
    const again = await post(ticket('DUP-1', { description: 'edited' }));
    expect(first.status).toBe(202);
    expect(again).toEqual(expect.objectContaining({ status: 202, json: first.json }));
    const burst = await Promise.all(Array.from({ length: 5 }, () => post(ticket('DUP-2'))));
    expect(new Set(burst.map((b) => `${b.status} ${String(b.json.job_id)}`)).size).toBe(1);
    expect(burst[0]!.status).toBe(202);
    expect(await tappedFor('DUP-1')).toHaveLength(1);
    expect(await tappedFor('DUP-2')).toHaveLength(1);
    // The same ticket id from another tenant is another ticket.
    const other = await post(ticket('DUP-1'), { tenant: 'noisy' });
    expect(other.json.job_id).not.toBe(first.json.job_id);
  });

  it('picks up a changed tenants file (a Secret volume swaps it) and keeps the last good one on a bad write', async () => {
    expect((await post(ticket('NEW-1'), { tenant: 'newco' as TenantName })).status).toBe(403);
    // As the kubelet does: write aside, then rename over (the watched directory sees the swap).
    const next = path.join(dir, '.tenants.json.tmp');
    await writeFile(next, tenantsJson(['acme', 'noisy', 'strict', 'newco']));
    await rename(next, tenantsFile);
    await waitFor(
      'newco accepted',
      async () => (await post(ticket('NEW-1'), { tenant: 'newco' })).status === 202,
    );
    await writeFile(tenantsFile, '{"tenants": {'); // half-written
    await new Promise((r) => setTimeout(r, 400));
    expect((await post(ticket('NEW-2'), { tenant: 'newco' })).status).toBe(202);
    expect(ingest.tenants.size).toBe(4);
    await writeFile(tenantsFile, tenantsJson(['acme', 'noisy', 'strict']));
  });

  it('serves /healthz, /readyz and /metrics on the same port', async () => {
    const base = `http://127.0.0.1:${ingest.http.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ok' });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/ingest_requests_total\{code="202"\} \d+/);
    expect(text).toMatch(/ingest_requests_total\{code="401"\} \d+/);
    expect(text).toMatch(/ingest_jobs_published_total\{tenant_id="acme"\} \d+/);
    expect(text).toContain('ingest_request_duration_seconds_bucket');
    expect(text).toMatch(/ingest_duplicate_tickets_total [1-9]/);
  });

  it('refuses to start without a valid tenants file (exit code 2 from the CLI)', async () => {
    await expect(runIngest(t.config({ INGEST_PORT: '0' }), silentLogger)).rejects.toThrow(
      'TENANTS_FILE is required',
    );
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"tenants": {"acme": {"secret": "short"}}}');
    const err = (await runIngest(t.config({ INGEST_PORT: '0', TENANTS_FILE: bad }), silentLogger).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain('tenants.acme.secret: a secret needs at least 16 characters');
  });

  describe('when the broker is unreachable', () => {
    let proxy: TcpProxy;
    let cut: RunningIngest;
    beforeAll(async () => {
      proxy = await startTcpProxy(5672);
      cut = await runIngest(
        t.config({
          TENANTS_FILE: tenantsFile,
          INGEST_PORT: '0',
          AMQP_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}`,
          AMQP_RECONNECT_BASE_MS: '200',
          AMQP_RECONNECT_MAX_MS: '400',
        }),
        silentLogger,
      );
      await cut.connected;
    });
    afterAll(async () => {
      await cut?.stop();
      await proxy?.close();
    });

    it('answers 503 with Retry-After at once, publishes nothing, and recovers by itself', async () => {
      expect((await post(ticket('OUT-0'), { port: cut.http.port })).status).toBe(202);
      proxy.cut();
      await waitFor('the loss to be noticed', () => cut.publisher.notReadyReason() !== null);
      const began = Date.now();
      const down = await post(ticket('OUT-1'), { port: cut.http.port });
      expect(Date.now() - began).toBeLessThan(1_000);
      expect(down).toMatchObject({ status: 503, json: { error: 'broker_unavailable' } });
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await tappedFor('OUT-1')).toEqual([]);
      // Still ready: the pod keeps its endpoint and answers 503 with Retry-After itself, rather than
      // every replica leaving the Service at once (clients would get connection refused).
      expect((await fetch(`http://127.0.0.1:${cut.http.port}/readyz`)).status).toBe(200);
      proxy.restore();
      await waitFor('reconnected', () => cut.publisher.notReadyReason() === null);
      // The helpdesk's retry is published now, once, under the job_id the failed post was given.
      const retried = await post(ticket('OUT-1'), { port: cut.http.port });
      expect(retried.status).toBe(202);
      const published = await tappedFor('OUT-1');
      expect(published.map((m) => m.body.job_id)).toEqual([retried.json.job_id]);
    });
  });
});
