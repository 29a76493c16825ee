import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace, type Context } from '@opentelemetry/api';
import type { Job } from '../../../src/domain/job.js';
import { Dedup } from '../../../src/ingest/dedup.js';
import { IngestMetrics } from '../../../src/ingest/metrics.js';
import { TokenBuckets } from '../../../src/ingest/rate-limiter.js';
import { sign } from '../../../src/ingest/signature.js';
import type { Tenant } from '../../../src/tenants/tenants.js';
import { webhookHandler, WEBHOOK_PATH } from '../../../src/ingest/webhook.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { deferred, type Deferred } from '../../helpers/deferred.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/**
 * The webhook handler on a real http server (port 0) driven by real fetch requests, with fakes for
 * everything behind it: no broker, and time only moves when the FakeClock is told to.
 */

const SECRET = 'acme-secret-0123456789';
const START = Date.UTC(2025, 0, 15, 9, 30, 0);
const MAX_SKEW_MS = 300_000;
const TENANTS: ReadonlyMap<string, Tenant> = new Map([
  ['acme', { id: 'acme', secrets: [SECRET], requireTimestamp: false }],
]);

/** What publish does with each job: resolve (the default), reject, or wait on a deferred. */
type Plan = 'confirm' | { readonly retryAfterMs?: number } | Deferred<void>;

class BrokerDown extends Error {
  override readonly name = 'BrokerDown';
  constructor(readonly retryAfterMs?: number) {
    super('broker unreachable');
  }
}

interface World {
  readonly url: string;
  readonly clock: FakeClock;
  readonly metrics: IngestMetrics;
  readonly published: { job: Job; parent: Context }[];
  readonly jobIdCalls: [string, string, number][];
  /** Plans for the next publish calls, in order; once used up, publish confirms. */
  readonly plans: Plan[];
  readonly claims: () => number;
}

const servers: http.Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function start(opts: { burst?: number } = {}): Promise<World> {
  const clock = new FakeClock(START);
  const metrics = new IngestMetrics(1000, false);
  const dedup = new Dedup(300_000);
  let claims = 0;
  const claim = dedup.claim.bind(dedup);
  // Counts claims, so a test can tell that a second post has reached the dedup step.
  dedup.claim = (...args) => {
    claims++;
    return claim(...args);
  };
  const published: World['published'] = [];
  const jobIdCalls: World['jobIdCalls'] = [];
  const plans: Plan[] = [];
  const handler = webhookHandler({
    tenants: { get: (id) => TENANTS.get(id) },
    limiter: new TokenBuckets(1, opts.burst ?? 100),
    dedup,
    publish: (job, parent) => {
      published.push({ job, parent });
      const plan = plans.shift() ?? 'confirm';
      if (plan === 'confirm') return Promise.resolve();
      if ('promise' in plan) return plan.promise;
      return Promise.reject(new BrokerDown(plan.retryAfterMs));
    },
    clock,
    newJobId: (tenantId, ticketId, nowMs) => {
      jobIdCalls.push([tenantId, ticketId, nowMs]);
      return `job-${jobIdCalls.length}`;
    },
    metrics,
    log: silentLogger,
    maxSkewMs: MAX_SKEW_MS,
  });
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    clock,
    metrics,
    published,
    jobIdCalls,
    plans,
    claims: () => claims,
  };
}

interface PostOptions {
  /** X-Tenant-ID; null sends none. */
  readonly tenant?: string | null;
  /** 'valid' signs with the tenant's secret (over `<ts>.<body>` when a timestamp is given). */
  readonly signature?: 'valid' | 'bad' | 'none';
  readonly timestamp?: string;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

const ticket = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ticket_id: id, description: 'VPN down', priority: 'high', ...extra });

async function post(w: World, body: string, opts: PostOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/json',
    ...opts.headers,
  };
  if (opts.tenant !== null) headers['x-tenant-id'] = opts.tenant ?? 'acme';
  const signature = opts.signature ?? 'valid';
  if (signature === 'valid') headers['x-signature'] = sign(SECRET, Buffer.from(body), opts.timestamp);
  if (signature === 'bad') headers['x-signature'] = sign('not-the-secret-at-all', Buffer.from(body));
  if (opts.timestamp !== undefined) headers['x-timestamp'] = opts.timestamp;
  const res = await fetch(w.url + WEBHOOK_PATH, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** Answers counted by status code, e.g. {401: 3, 202: 1}. */
async function answered(w: World): Promise<Record<string, number>> {
  const { values } = await w.metrics.requests.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.code), v.value]));
}

async function publishedFor(w: World, tenantId: string): Promise<number> {
  const { values } = await w.metrics.published.get();
  return values.find((v) => v.labels.tenant_id === tenantId)?.value ?? 0;
}

async function duplicates(w: World): Promise<number> {
  return (await w.metrics.duplicates.get()).values[0]?.value ?? 0;
}

/** Lets the event loop turn (I/O included) until `done`, without any timer. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error('condition never became true');
}

/** A full request/answer round trip on another connection: the server has had its turns since. */
async function roundTrip(w: World): Promise<void> {
  const res = await fetch(`${w.url}/elsewhere`);
  expect(res.status).toBe(404);
  await res.arrayBuffer();
}

describe('webhookHandler: the order of checks', () => {
  it('does not let unsigned posts spend a tenant’s rate budget', async () => {
    const w = await start({ burst: 1 });
    for (let i = 0; i < 5; i++) {
      const r = await post(w, ticket(`T-${i}`), { signature: i % 2 ? 'bad' : 'none' });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('bad_signature');
    }
    const ok = await post(w, ticket('T-ok'));
    expect(ok.status).toBe(202);
    // The budget really is one: the next signed post is over it.
    const over = await post(w, ticket('T-over'));
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(w.published.map((p) => p.job.ticket_id)).toEqual(['T-ok']);
    expect(await answered(w)).toEqual({ '401': 5, '202': 1, '429': 1 });
    expect(await publishedFor(w, 'acme')).toBe(1);
  });

  it('answers an unknown tenant with a bad signature 403, not 401', async () => {
    const w = await start();
    const r = await post(w, ticket('T-1'), { tenant: 'initech', signature: 'bad' });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ error: 'unknown_tenant', message: 'unknown tenant' });
    const missing = await post(w, ticket('T-1'), { tenant: null, signature: 'none' });
    expect(missing.status).toBe(403);
    expect(missing.body.message).toBe('missing X-Tenant-ID');
    expect(w.published).toHaveLength(0);
    expect(await answered(w)).toEqual({ '403': 2 });
  });

  it('answers a bad body with a bad signature 401, not 400', async () => {
    const w = await start();
    const r = await post(w, '{"ticket_id": ', { signature: 'bad' });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'bad_signature', message: 'signature does not match' });
    expect(w.published).toHaveLength(0);
    expect(await answered(w)).toEqual({ '401': 1 });
  });

  it('answers an over-rate post with a bad body 429, before 400', async () => {
    const w = await start({ burst: 1 });
    expect((await post(w, ticket('T-1'))).status).toBe(202);
    const r = await post(w, JSON.stringify({ description: 'no id' }));
    expect(r.status).toBe(429);
    expect(r.body.error).toBe('rate_limited');
    // Once a token is back, the same body gets its 400, naming the field.
    w.clock.advance(1_000);
    const bad = await post(w, JSON.stringify({ description: 'no id' }));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_body', field: 'ticket_id' });
    expect(w.published).toHaveLength(1);
    expect(await answered(w)).toEqual({ '202': 1, '429': 1, '400': 1 });
  });

  it('answers a non-JSON content type 415, before the tenant checks', async () => {
    const w = await start();
    const r = await post(w, ticket('T-1'), {
      contentType: 'text/plain',
      tenant: 'initech',
      signature: 'none',
    });
    expect(r.status).toBe(415);
    expect(r.body.error).toBe('unsupported_media_type');
    expect(w.published).toHaveLength(0);
    expect(await answered(w)).toEqual({ '415': 1 });
  });
});

describe('webhookHandler: 202 only once publish resolved', () => {
  it('holds the answer until publish resolves', async () => {
    const w = await start();
    const confirm = deferred();
    w.plans.push(confirm);
    let settled = false;
    const pending = post(w, ticket('T-1')).finally(() => (settled = true));
    await until(() => w.published.length === 1);
    await roundTrip(w);
    expect(settled).toBe(false);
    expect(await answered(w)).toEqual({ '404': 1 });
    confirm.resolve();
    const r = await pending;
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ job_id: 'job-1' });
    expect(await answered(w)).toEqual({ '404': 1, '202': 1 });
    expect(await publishedFor(w, 'acme')).toBe(1);
  });

  it('answers a failed publish 503 with Retry-After, and a retry publishes again under the same job_id', async () => {
    const w = await start();
    w.plans.push({ retryAfterMs: 2_500 }, { retryAfterMs: 0 });
    const first = await post(w, ticket('T-1'));
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(first.headers.get('content-type')).toBe('application/json');
    expect(first.body).toEqual({
      error: 'broker_unavailable',
      message: 'the job could not be queued; retry later',
    });
    const second = await post(w, ticket('T-1'));
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    const third = await post(w, ticket('T-1'));
    expect(third.status).toBe(202);
    expect(third.body).toEqual({ job_id: 'job-1' });
    expect(w.published.map((p) => p.job.job_id)).toEqual(['job-1', 'job-1', 'job-1']);
    expect(w.jobIdCalls).toHaveLength(1);
    expect(await answered(w)).toEqual({ '503': 2, '202': 1 });
    expect(await publishedFor(w, 'acme')).toBe(1);
    expect(await duplicates(w)).toBe(0);
  });
});

describe('webhookHandler: a duplicate while the first publish is pending', () => {
  it('waits for the first and gets its job_id, publishing once', async () => {
    const w = await start();
    const confirm = deferred();
    w.plans.push(confirm);
    const first = post(w, ticket('T-1'));
    await until(() => w.published.length === 1);
    const second = post(w, ticket('T-1', { description: 'edited' }));
    await until(() => w.claims() === 2);
    await roundTrip(w);
    expect(await answered(w)).toEqual({ '404': 1 });
    confirm.resolve();
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body).toEqual({ job_id: 'job-1' });
    expect(b.body).toEqual({ job_id: 'job-1' });
    expect(w.published).toHaveLength(1);
    expect(await answered(w)).toEqual({ '404': 1, '202': 2 });
    expect(await publishedFor(w, 'acme')).toBe(1);
    expect(await duplicates(w)).toBe(1);
  });

  it('answers the waiter 503 when the first publish fails, publishing once', async () => {
    const w = await start();
    const confirm = deferred();
    w.plans.push(confirm);
    const first = post(w, ticket('T-1'));
    await until(() => w.published.length === 1);
    const second = post(w, ticket('T-1'));
    await until(() => w.claims() === 2);
    confirm.reject(new BrokerDown(4_000));
    const [a, b] = await Promise.all([first, second]);
    expect(a.status).toBe(503);
    expect(a.headers.get('retry-after')).toBe('4');
    expect(b.status).toBe(503);
    expect(b.headers.get('retry-after')).toBe('1');
    expect(b.body.error).toBe('broker_unavailable');
    expect(w.published).toHaveLength(1);
    expect(await answered(w)).toEqual({ '503': 2 });
    expect(await publishedFor(w, 'acme')).toBe(0);
    expect(await duplicates(w)).toBe(0);
  });
});

describe('webhookHandler: the job handed to publish', () => {
  it('maps a ServiceDesk Plus ticket, with job_id, timestamp and the caller’s trace', async () => {
    const w = await start();
    w.clock.advance(1_234);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    const body = JSON.stringify({
      request: { id: 4711, subject: 'VPN down', description: 'since 9am', priority: { name: 'Urgent' } },
    });
    const r = await post(w, body, { headers: { traceparent: `00-${traceId}-${spanId}-01` } });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ job_id: 'job-1' });
    expect(w.jobIdCalls).toEqual([['acme', '4711', START + 1_234]]);
    expect(w.published).toHaveLength(1);
    const { job, parent } = w.published[0]!;
    expect(job).toEqual({
      job_id: 'job-1',
      ticket_id: '4711',
      tenant_id: 'acme',
      description: 'VPN down\n\nsince 9am',
      priority: 'critical',
      timestamp: new Date(START + 1_234).toISOString(),
      trace_id: traceId,
    });
    expect(trace.getSpanContext(parent)).toMatchObject({ traceId, spanId, isRemote: true });
    expect(await publishedFor(w, 'acme')).toBe(1);
  });

  it('maps Normal to medium and leaves trace_id out without a traceparent', async () => {
    const w = await start();
    const body = JSON.stringify({ request: { id: 'SR-9', priority: { name: 'Normal' } } });
    expect((await post(w, body)).status).toBe(202);
    const { job, parent } = w.published[0]!;
    expect(job.priority).toBe('medium');
    expect(job.ticket_id).toBe('SR-9');
    expect(job).not.toHaveProperty('trace_id');
    expect(trace.getSpanContext(parent)).toBeUndefined();
  });
});

describe('webhookHandler: body size', () => {
  it('answers 413 to a chunked body over 256 KiB, and serves the next request', async () => {
    const w = await start();
    const { port } = new URL(w.url);
    const reply = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        const req = http.request({
          port: Number(port),
          host: '127.0.0.1',
          method: 'POST',
          path: WEBHOOK_PATH,
          agent: false,
          headers: {
            'content-type': 'application/json',
            'transfer-encoding': 'chunked',
            'x-tenant-id': 'acme',
          },
        });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
        });
        // The server may close the connection while the rest of the body is still on its way.
        req.on('error', reject);
        const chunk = Buffer.alloc(32 * 1024, 'a');
        for (let i = 0; i < 9; i++) req.write(chunk);
        req.end();
      },
    );
    expect(reply.status).toBe(413);
    expect(reply.headers.connection).toBe('close');
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'payload_too_large' });
    expect(w.published).toHaveLength(0);
    const next = await post(w, ticket('T-1'));
    expect(next.status).toBe(202);
    expect(await answered(w)).toEqual({ '413': 1, '202': 1 });
  });
});

describe('webhookHandler: X-Timestamp', () => {
  const seconds = (ms: number) => String(Math.floor(ms / 1000));

  it('refuses a timestamp outside maxSkewMs of the clock’s now, and accepts one inside', async () => {
    const w = await start();
    const tooOld = await post(w, ticket('T-1'), { timestamp: seconds(START - MAX_SKEW_MS - 1_000) });
    expect(tooOld.status).toBe(401);
    expect(tooOld.body).toEqual({
      error: 'bad_signature',
      message: 'X-Timestamp outside the allowed window',
    });
    const tooNew = await post(w, ticket('T-1'), { timestamp: seconds(START + MAX_SKEW_MS + 1_000) });
    expect(tooNew.status).toBe(401);
    const inside = await post(w, ticket('T-1'), { timestamp: seconds(START - MAX_SKEW_MS + 1_000) });
    expect(inside.status).toBe(202);
    // The same signed request, replayed once the clock has moved past the window.
    const ts = seconds(START);
    expect((await post(w, ticket('T-2'), { timestamp: ts })).status).toBe(202);
    w.clock.advance(MAX_SKEW_MS + 1_000);
    expect((await post(w, ticket('T-2'), { timestamp: ts })).status).toBe(401);
    expect(w.published.map((p) => p.job.ticket_id)).toEqual(['T-1', 'T-2']);
    expect(await answered(w)).toEqual({ '401': 3, '202': 2 });
  });

  it('signs `<ts>.<body>` when X-Timestamp is sent', async () => {
    const w = await start();
    const body = ticket('T-1');
    const ts = seconds(START);
    const bodyOnly = await post(w, body, {
      signature: 'none',
      headers: { 'x-signature': sign(SECRET, Buffer.from(body)), 'x-timestamp': ts },
    });
    expect(bodyOnly.status).toBe(401);
    expect(bodyOnly.body.message).toBe('signature does not match');
    const withTs = await post(w, body, {
      signature: 'none',
      headers: { 'x-signature': sign(SECRET, Buffer.from(body), ts), 'x-timestamp': ts },
    });
    expect(withTs.status).toBe(202);
    expect(w.published).toHaveLength(1);
    expect(await answered(w)).toEqual({ '401': 1, '202': 1 });
  });
});
