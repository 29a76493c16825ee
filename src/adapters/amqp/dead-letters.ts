import type { Channel, GetMessage } from 'amqplib';
import { isUuid } from '../../domain/job.js';
import type { ConfirmPublisher } from './confirm-publisher.js';
import { jobProperties } from './confirm-publisher.js';
import { H, carriedHeaders, intHeader, stringHeader, type Headers } from './headers.js';
import { ReplayInterrupted } from './replay-interrupted.js';
import type { Names } from './topology.js';

/** One message in the dead-letter queue, as an operator reads it. */
export interface DeadLetter {
  readonly job_id: string | null;
  readonly tenant_id: string | null;
  readonly ticket_id: string | null;
  readonly reason: string;
  readonly error_type: string | null;
  readonly error_message: string | null;
  readonly attempts: number | null;
  readonly first_failure_at: string | null;
  readonly last_failure_at: string | null;
  readonly bytes: number;
}

export function describeDeadLetter(msg: GetMessage): DeadLetter {
  const h = (msg.properties.headers ?? {}) as Headers;
  const body = peekBody(msg.content);
  return {
    job_id: body.job_id ?? (typeof msg.properties.messageId === 'string' ? msg.properties.messageId : null),
    tenant_id: body.tenant_id ?? null,
    ticket_id: body.ticket_id ?? null,
    // Dead-lettered by the broker itself (delivery limit) carries only x-death / x-first-death-reason.
    reason: stringHeader(h, H.reason) ?? stringHeader(h, 'x-first-death-reason') ?? 'unknown',
    error_type: stringHeader(h, H.errorType) ?? null,
    error_message: stringHeader(h, H.errorMessage) ?? null,
    attempts: intHeader(h, H.attempts) ?? intHeader(h, H.attempt) ?? null,
    first_failure_at: stringHeader(h, H.firstFailureAt) ?? null,
    last_failure_at: stringHeader(h, H.lastFailureAt) ?? null,
    bytes: msg.content.length,
  };
}

function peekBody(content: Buffer): { job_id?: string; tenant_id?: string; ticket_id?: string } {
  try {
    const v = JSON.parse(content.toString('utf8')) as Record<string, unknown>;
    const s = (x: unknown) => (typeof x === 'string' ? x : undefined);
    return { job_id: s(v.job_id), tenant_id: s(v.tenant_id), ticket_id: s(v.ticket_id) };
  } catch {
    return {};
  }
}

/**
 * Walks up to `limit` dead letters without removing any: each is taken unacked, so the next get
 * returns the next one, and closing the channel afterwards puts them all back in order.
 */
export async function listDeadLetters(ch: Channel, n: Names, limit: number): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  try {
    while (out.length < limit) {
      const msg = await ch.get(n.dead, { noAck: false });
      if (!msg) break;
      out.push(describeDeadLetter(msg));
    }
  } finally {
    await ch.close().catch(() => undefined);
  }
  return out;
}

export interface ReplayResult {
  readonly replayed: DeadLetter[];
  readonly skipped: { letter: DeadLetter; why: string }[];
}

/**
 * Republishes up to `limit` dead letters to the jobs queue with a fresh attempt count. For each: the
 * history row is reset to pending first (so the worker does not skip it as already failed), then the
 * republish is confirmed, and only then is the dead letter removed (if the republish fails, the row
 * goes back to failed and the dead letter stays). Messages that can never succeed
 * (invalid bodies) stay put unless `includeInvalid`. A failure part way rejects with
 * {@link ReplayInterrupted}, which carries what was replayed before it.
 */
export async function replayDeadLetters(
  ch: Channel,
  publisher: ConfirmPublisher,
  n: Names,
  opts: {
    limit: number;
    includeInvalid: boolean;
    resetHistory: (letter: DeadLetter) => Promise<void>;
    /** Puts the row back to failed when the republish after its reset did not go through. */
    undoReset: (letter: DeadLetter) => Promise<void>;
  },
): Promise<ReplayResult> {
  const result: ReplayResult = { replayed: [], skipped: [] };
  try {
    // Only what is there now: a replayed job that fails again comes back behind us, not into this run.
    const { messageCount } = await ch.checkQueue(n.dead);
    for (let seen = 0; seen < messageCount && result.replayed.length < opts.limit; seen++) {
      const msg = await ch.get(n.dead, { noAck: false });
      if (!msg) break;
      const letter = describeDeadLetter(msg);
      if (letter.reason === 'validation' && !opts.includeInvalid) {
        result.skipped.push({ letter, why: 'invalid job (use --include-invalid to replay it anyway)' });
        continue;
      }
      const keyed = isUuid(letter.job_id) && letter.tenant_id !== null;
      if (keyed) await opts.resetHistory(letter);
      const headers = { ...strip(carriedHeaders(msg.properties.headers)), [H.attempt]: 1 };
      try {
        await publisher.publish('', n.jobs, msg.content, jobProperties(letter.job_id ?? undefined, headers));
      } catch (err) {
        // The dead letter stays (the channel's close returns it); so must the row's failed state.
        if (keyed) await opts.undoReset(letter).catch(() => undefined);
        throw err;
      }
      ch.ack(msg);
      result.replayed.push(letter);
    }
  } catch (err) {
    // What was moved stays moved: say how far the replay got.
    throw new ReplayInterrupted(result, err);
  } finally {
    await ch.close().catch(() => undefined);
  }
  return result;
}

/** A replayed job starts over: no failure or redelivery history. */
function strip(h: Headers): Headers {
  const drop = new Set<string>([
    H.reason,
    H.errorType,
    H.errorMessage,
    H.attempts,
    H.redeliveries,
    H.firstFailureAt,
    H.lastFailureAt,
    // A job marked "row owed" would only be recorded, never run: a replay must run it.
    H.deadLettered,
  ]);
  return Object.fromEntries(Object.entries(h).filter(([k]) => !drop.has(k)));
}

/** A passive declare: a missing queue closes the channel with 404 (NOT_FOUND), the one answer taken as "no". */
export async function queueExists(ch: Channel, queue: string): Promise<boolean> {
  try {
    await ch.checkQueue(queue);
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return false;
    throw err;
  }
}
