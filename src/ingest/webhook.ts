import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isSpanContextValid, trace, type Context } from '@opentelemetry/api';
import type { Clock } from '../lib/clock.js';
import { errorMessage } from '../lib/error-message.js';
import { MAX_BODY_BYTES, type Job } from '../domain/job.js';
import type { Logger } from '../observability/logger.js';
import { extractTraceContext } from '../observability/tracing.js';
import type { Dedup } from './dedup.js';
import { mapTicket } from './mapping.js';
import type { IngestMetrics } from './metrics.js';
import type { TokenBuckets } from './rate-limiter.js';
import { verifySignature } from './signature.js';
import type { Tenant } from '../tenants/tenants.js';

export const WEBHOOK_PATH = '/webhook/servicedesk';

/** What the webhook needs; each is a narrow port, so unit tests can pass fakes. */
export interface WebhookDeps {
  readonly tenants: { get(id: string): Tenant | undefined };
  readonly limiter: TokenBuckets;
  readonly dedup: Dedup;
  /** Resolves once the broker confirmed; throws (with `retryAfterMs`, if known) otherwise. */
  publish(job: Job, parent: Context): Promise<void>;
  readonly clock: Clock;
  /** The job_id of a tenant's ticket posted now (see windowJobId). */
  readonly newJobId: (tenantId: string, ticketId: string, nowMs: number) => string;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
  readonly maxSkewMs: number;
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  /** For the log line of a refusal; never the body or a secret. */
  readonly reason?: string;
  readonly tenantId?: string;
}

const refuse = (status: number, error: string, message: string, extra: Partial<Answer> = {}): Answer => ({
  status,
  body: { error, message, ...(extra.body ?? {}) },
  reason: message,
  ...(extra.headers ? { headers: extra.headers } : {}),
  ...(extra.tenantId ? { tenantId: extra.tenantId } : {}),
});

/**
 * `POST /webhook/servicedesk`. Checks run cheapest first, and the rate limit only after the signature,
 * so nobody without a tenant's secret can spend its budget: 404/405 → 413 (declared length) → 415 →
 * 403 (unknown tenant) → 413 (body read) → 401 → 429 → 400 → 202 once confirmed, or 503.
 */
export function webhookHandler(deps: WebhookDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const began = performance.now();
    handle(req, deps).then(
      (a) => answer(res, a, began, deps),
      (err: unknown) => {
        deps.log.error('webhook handler failed', { error_message: errorMessage(err) });
        answer(res, refuse(500, 'internal', 'internal error'), began, deps);
      },
    );
  };
}

function answer(res: ServerResponse, a: Answer, began: number, deps: WebhookDeps): void {
  if (!res.headersSent) {
    // An unread or half-read body makes the connection unusable for the next request.
    const close = a.status === 413 ? { connection: 'close' } : {};
    res.writeHead(a.status, { 'content-type': 'application/json', ...close, ...a.headers });
    res.end(JSON.stringify(a.body));
  }
  deps.metrics.answered(a.status, (performance.now() - began) / 1000);
  if (a.status >= 400) {
    const fields = { status: a.status, reason: a.reason, tenant_id: a.tenantId };
    if (a.status >= 500) deps.log.warn('webhook request failed', fields);
    else deps.log.info('webhook request refused', fields);
  }
}

async function handle(req: IncomingMessage, deps: WebhookDeps): Promise<Answer> {
  if ((req.url ?? '/').split('?')[0] !== WEBHOOK_PATH) return refuse(404, 'not_found', 'no such path');
  if (req.method !== 'POST') {
    return refuse(405, 'method_not_allowed', 'use POST', { headers: { allow: 'POST' } });
  }
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) return tooLarge();
  if (!isJson(req.headers['content-type'])) {
    return refuse(415, 'unsupported_media_type', 'Content-Type must be application/json');
  }
  const tenantId = header(req, 'x-tenant-id');
  const tenant = tenantId === undefined ? undefined : deps.tenants.get(tenantId);
  if (!tenant) {
    return refuse(403, 'unknown_tenant', tenantId === undefined ? 'missing X-Tenant-ID' : 'unknown tenant');
  }
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === 'too-large') return tooLarge(tenant.id);
  // The client went away mid-body: its fault, not ours (nginx's 499), and nobody reads the answer.
  if (body === 'aborted')
    return refuse(499, 'client_closed', 'client closed the request', { tenantId: tenant.id });
  const now = deps.clock.now();
  const check = verifySignature(
    { body, signature: header(req, 'x-signature'), timestamp: header(req, 'x-timestamp') },
    {
      secrets: tenant.secrets,
      requireTimestamp: tenant.requireTimestamp,
      maxSkewMs: deps.maxSkewMs,
      nowMs: now,
    },
  );
  if (!check.ok) return refuse(401, 'bad_signature', check.reason, { tenantId: tenant.id });
  const waitMs = deps.limiter.take(tenant.id, now);
  if (waitMs > 0) {
    return refuse(429, 'rate_limited', 'too many requests for this tenant', {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
      tenantId: tenant.id,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return refuse(400, 'invalid_body', 'not valid JSON', { body: { field: 'body' }, tenantId: tenant.id });
  }
  const mapped = mapTicket(json);
  if (!mapped.ok) {
    return refuse(400, 'invalid_body', `${mapped.field}: ${mapped.message}`, {
      body: { field: mapped.field },
      tenantId: tenant.id,
    });
  }
  const { ticket } = mapped;
  const ids = { ticket_id: ticket.ticket_id, tenant_id: tenant.id };
  if (mapped.unknownPriority !== undefined) {
    deps.log.info('unknown priority taken as medium', { ...ids, priority_name: mapped.unknownPriority });
  }
  const claim = deps.dedup.claim(tenant.id, ticket.ticket_id, now, () =>
    deps.newJobId(tenant.id, ticket.ticket_id, now),
  );
  if (claim.kind !== 'publish') {
    const ok = claim.kind === 'published' || (await claim.result);
    if (!ok) return unavailable('the first post of this ticket was not confirmed', 1_000, tenant.id);
    deps.metrics.duplicates.inc();
    deps.log.info('duplicate ticket answered with its job', { ...ids, job_id: claim.jobId });
    return { status: 202, body: { job_id: claim.jobId } };
  }
  const parent = extractTraceContext(req.headers);
  const incoming = trace.getSpanContext(parent);
  const job: Job = {
    job_id: claim.jobId,
    ...ids,
    description: ticket.description,
    priority: ticket.priority,
    timestamp: new Date(now).toISOString(),
    ...(incoming && isSpanContextValid(incoming) ? { trace_id: incoming.traceId } : {}),
  };
  // Settled on every path, or later posts of this ticket would wait on it for the whole window.
  let confirmed = false;
  try {
    await deps.publish(job, parent);
    confirmed = true;
  } catch (err) {
    const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs ?? 1_000;
    return unavailable(errorMessage(err), retryAfterMs, tenant.id);
  } finally {
    claim.settle(confirmed);
  }
  deps.metrics.jobPublished(tenant.id);
  deps.log.info('job accepted', {
    ...ids,
    job_id: job.job_id,
    priority: job.priority,
    trace_id: job.trace_id,
  });
  return { status: 202, body: { job_id: job.job_id } };
}

const tooLarge = (tenantId?: string) =>
  refuse(413, 'payload_too_large', `body over ${MAX_BODY_BYTES} bytes`, tenantId ? { tenantId } : {});

/** The client sees a generic message; the log line gets the broker's reason. */
function unavailable(reason: string, retryAfterMs: number, tenantId: string): Answer {
  return {
    ...refuse(503, 'broker_unavailable', 'the job could not be queued; retry later', {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
      tenantId,
    }),
    reason,
  };
}

function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || (type?.startsWith('application/') === true && type.endsWith('+json'));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The body, or 'too-large' as soon as it passes `limit` (the rest is drained, never buffered), or
 * 'aborted' when the client goes away before the end.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.resume();
      resolve('too-large');
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks, Math.min(size, limit))));
    req.on('error', () => resolve('aborted'));
  });
}
