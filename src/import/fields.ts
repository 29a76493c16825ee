/**
 * The zod building blocks of the import schemas. Every message is the `reason` of a
 * `file:line: field: reason` line, so each says what is wrong in words a person fixing a spreadsheet
 * understands. Limits follow the job contract (ids ≤ 128 characters, long text ≤ 64 KiB of UTF-8).
 */
import { z } from 'zod';
import { show } from './issues.js';

/** Longest id (ticket_id, article_id), as in the job contract and the columns. */
export const MAX_ID_CHARS = 128;
/** Longest description, resolution, body or notes, in UTF-8 bytes, as the job contract's description. */
export const MAX_TEXT_BYTES = 64 * 1024;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const noNul = (s: string) => !s.includes('\u0000');

/** A string that Postgres `text` can hold (no NUL character). */
export function str() {
  return z
    .string({
      error: (iss) =>
        iss.input === undefined ? 'required' : `expected a string, got ${describe(iss.input)}`,
    })
    .refine(noNul, 'contains a NUL character, which Postgres text cannot store');
}

/** A short single value (subject, status, owner…): 1 to `max` characters. */
export function line(max: number) {
  return str().min(1, 'must not be empty').max(max, `longer than ${max} characters`);
}

/** A long text (description, body…), possibly empty, at most 64 KiB of UTF-8. */
export function text() {
  return str().refine(
    // Cheap first: a string of n UTF-16 units takes at most 3n bytes of UTF-8.
    (s) => s.length * 3 <= MAX_TEXT_BYTES || Buffer.byteLength(s, 'utf8') <= MAX_TEXT_BYTES,
    'longer than 64 KiB of UTF-8',
  );
}

/**
 * An id: a string of 1–128 characters. Exports often carry numeric ids, so a whole JSON number is
 * taken as its decimal string.
 */
export function id() {
  return z.preprocess(
    (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v),
    line(MAX_ID_CHARS),
  );
}

/** Absent, null and "" all mean "not given" (a CSV cannot tell them apart); the row holds null. */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null || v === '' ? undefined : v), schema.optional());
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Why `s` is not an ISO 8601 date or date-time Postgres will read the same way anywhere, or
 * undefined. A time needs a zone (`Z` or an offset): without one, the server's zone would decide.
 * Calendar checks are ours, because Date.parse takes 2024-02-30 as March 1.
 */
export function timestampProblem(s: string): string | undefined {
  const m = ISO.exec(s);
  if (!m) return `${show(s)} is not an ISO 8601 date or date-time (2024-05-01, 2024-05-01T09:30:00Z)`;
  const [, y, mo, d, h, mi, sec, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  if (year < 1 || month < 1 || month > 12 || Number(d) < 1 || Number(d) > daysIn(year, month)) {
    return `${show(s)} is not a calendar date`;
  }
  if (h === undefined) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || (sec !== undefined && Number(sec) > 59)) {
    return `${show(s)} is not a time of day`;
  }
  if (zone === undefined) return `${show(s)} has no time zone: add Z or an offset such as +02:00`;
  if (zone !== 'Z' && (Number(zone.slice(1, 3)) > 15 || Number(zone.replace(':', '').slice(3) || 0) > 59)) {
    return `${show(s)} has an offset outside ±15:59`;
  }
  return undefined;
}

/** A date-time with a zone, or a date, which stands for midnight UTC (as the stored value shows). */
export function timestamp() {
  return str()
    .superRefine((s, ctx) => {
      const problem = timestampProblem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform((s) => (s.length === 10 ? `${s}T00:00:00Z` : s));
}

/** A string checked by a function that names the problem (network, hostname). */
export function checked(check: (s: string) => string | undefined) {
  return str().superRefine((s, ctx) => {
    const problem = check(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}
