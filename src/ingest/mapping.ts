import { MAX_DESCRIPTION_BYTES, jobSchema, type Job } from '../domain/job.js';

/**
 * A helpdesk ticket → the fields of a job. Two body shapes are accepted:
 * - ServiceDesk Plus: `{"request": {"id", "subject", "description", "priority": {"name"} | "name"}}`;
 * - flat: `{"ticket_id", "description", "priority"}`.
 * The description is the subject and the description joined by a blank line (either may be missing;
 * HTML is passed on as sent). `job_id`, `tenant_id` and `timestamp` are not read from the body.
 */
export type Ticket = Pick<Job, 'ticket_id' | 'description' | 'priority'>;

export type MapResult =
  | { readonly ok: true; readonly ticket: Ticket; readonly unknownPriority?: string }
  | { readonly ok: false; readonly field: string; readonly message: string };

/**
 * Helpdesk priority names, case-insensitive. ServiceDesk Plus ships Low, Normal, Medium, High and
 * Urgent, and admins add their own: a name not listed here becomes `medium` (reported to the caller
 * for a log line) rather than losing the ticket. A missing or null priority is `medium` too.
 */
const PRIORITY_NAMES: Readonly<Record<string, Job['priority']>> = {
  low: 'low',
  lowest: 'low',
  normal: 'medium',
  medium: 'medium',
  high: 'high',
  urgent: 'critical',
  critical: 'critical',
  emergency: 'critical',
  highest: 'critical',
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const fail = (field: string, message: string): MapResult => ({ ok: false, field, message });

export function mapTicket(body: unknown): MapResult {
  if (!isObject(body)) return fail('body', 'expected a JSON object');
  if ('request' in body) {
    const r = body.request;
    if (!isObject(r)) return fail('request', 'expected an object');
    const subject = optionalText(r.subject);
    if (subject === null) return fail('request.subject', 'expected a string');
    const description = optionalText(r.description);
    if (description === null) return fail('request.description', 'expected a string');
    const text = [subject, description].filter((t): t is string => !!t).join('\n\n');
    return build('request.', r.id, 'id', text, priorityName(r.priority));
  }
  const description = optionalText(body.description);
  if (description === null) return fail('description', 'expected a string');
  return build('', body.ticket_id, 'ticket_id', description ?? '', priorityName(body.priority));
}

function build(
  prefix: string,
  rawId: unknown,
  idField: string,
  description: string,
  priority: string | null | undefined,
): MapResult {
  const id = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
  const idCheck = jobSchema.shape.ticket_id.safeParse(id);
  if (!idCheck.success) {
    return fail(
      prefix + idField,
      rawId === undefined ? 'required' : 'expected a string or integer of 1–128 characters',
    );
  }
  if (Buffer.byteLength(description, 'utf8') > MAX_DESCRIPTION_BYTES) {
    return fail(prefix + 'description', 'longer than 64 KiB');
  }
  if (priority === null) return fail(prefix + 'priority', 'expected a name or {"name": …}');
  const mapped = priority === undefined ? 'medium' : PRIORITY_NAMES[priority.trim().toLowerCase()];
  return {
    ok: true,
    ticket: { ticket_id: idCheck.data, description, priority: mapped ?? 'medium' },
    ...(mapped === undefined && priority !== undefined ? { unknownPriority: priority.slice(0, 64) } : {}),
  };
}

/** undefined when absent or null, null when of the wrong type. */
function optionalText(v: unknown): string | undefined | null {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : null;
}

/** A priority as a name, from `"High"` or `{"name": "High"}`; undefined when absent. */
function priorityName(v: unknown): string | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (isObject(v)) return optionalText(v.name);
  return null;
}
