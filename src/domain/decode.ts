import { MAX_BODY_BYTES, isUuid, jobSchema, type Job } from './job.js';
import { ValidationError } from './errors.js';

/** Bytes off the wire → a valid Job, or a ValidationError with a one-line reason. Pure. */
export function decodeJob(body: Buffer): Job {
  if (body.length > MAX_BODY_BYTES) {
    throw new ValidationError(`body is ${body.length} bytes, over the ${MAX_BODY_BYTES}-byte limit`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ValidationError(`body is not JSON: ${withoutExcerpt((err as Error).message)}`);
  }
  const parsed = jobSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'body';
  throw new ValidationError(`${where}: ${issue?.message ?? 'invalid'}`, readablePart(value));
}

/**
 * V8 quotes the input around a syntax error (`Unexpected token 's', ..."n":secret t"... is not valid
 * JSON`); this message reaches logs, history rows and dead-letter headers, and the input may be a
 * ticket description. Keep what went wrong, drop the quote.
 */
function withoutExcerpt(message: string): string {
  const quote = message.indexOf('"');
  return quote < 0 ? message : message.slice(0, quote).replace(/[\s,.]+$/, '');
}

/** What of an invalid job can still key a history row. */
function readablePart(value: unknown): ValidationError['partial'] {
  if (typeof value !== 'object' || value === null) return {};
  const v = value as Record<string, unknown>;
  const str = (x: unknown, max: number) =>
    typeof x === 'string' && x.length > 0 && x.length <= max ? x : undefined;
  const jobId = isUuid(v.job_id) ? v.job_id.toLowerCase() : undefined;
  return { jobId, tenantId: str(v.tenant_id, 64), ticketId: str(v.ticket_id, 128) };
}
