/**
 * One record → one row or one reason, and the check of a CSV header. Pure: no I/O, no clock.
 */
import type { ImportFormat } from './format.js';
import { show } from './issues.js';
import type { KindSpec, Row, RowValue } from './kinds.js';

/** The tenant may appear in a file only to say the same as --tenant: a file never chooses it. */
export const TENANT_FIELD = 'tenant_id';
export const MAX_TENANT_CHARS = 64;

export type Validated =
  | { readonly ok: true; readonly row: Row }
  | { readonly ok: false; readonly field: string; readonly reason: string };

export interface ValidateContext {
  readonly tenantId: string;
  readonly format: ImportFormat;
}

/** Why a tenant id cannot be used (as in the job contract: 1–64 characters), or undefined. */
export function tenantProblem(tenantId: string): string | undefined {
  if (tenantId.length === 0) return 'must not be empty';
  if (tenantId.length > MAX_TENANT_CHARS) return `longer than ${MAX_TENANT_CHARS} characters`;
  if (tenantId.includes('\u0000')) return 'contains a NUL character';
  return undefined;
}

/**
 * Checks one record against its kind. The first problem wins, unknown fields first: a misspelt column
 * is more likely the cause of a "required" than a missing value. CSV cells are strings; an empty one
 * counts as not given, and list fields are split on `;`.
 */
export function validateRecord(
  spec: KindSpec,
  record: Readonly<Record<string, unknown>>,
  ctx: ValidateContext,
): Validated {
  const input: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(record)) {
    if (field === TENANT_FIELD) {
      if (value !== ctx.tenantId && !(ctx.format === 'csv' && value === '')) {
        const given = typeof value === 'string' ? show(value) : String(value);
        return fail(field, `is ${given}, but the import is for tenant ${show(ctx.tenantId)}`);
      }
      continue;
    }
    if (!spec.fields.includes(field)) return fail(field, unknownField(spec, field));
    input[field] = ctx.format === 'csv' && spec.lists.includes(field) ? splitList(value) : value;
  }
  const parsed = spec.schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    const field = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`));
    return fail(field.join('') || 'record', issue?.message ?? 'invalid');
  }
  const row: Record<string, RowValue> = {};
  for (const field of spec.fields) row[field] = parsed.data[field] ?? null;
  return { ok: true, row };
}

/**
 * Why a CSV header cannot be used, or undefined. Names are compared trimmed and lower-cased
 * (spreadsheets capitalise); every required field must be there, and no unknown one: a column that
 * matched nothing would be dropped silently on every line.
 */
export function headerProblem(spec: KindSpec, names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return `column ${show(name)} appears twice`;
    seen.add(name);
    if (name !== TENANT_FIELD && !spec.fields.includes(name)) {
      return `unknown column ${show(name)}${suggestion(spec, name)}; ${spec.kind} columns are ${spec.fields.join(', ')}`;
    }
  }
  const missing = spec.required.filter((f) => !seen.has(f));
  if (missing.length) return `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  return undefined;
}

/** How a header cell is compared: trimmed and lower-cased. */
export function headerName(cell: string): string {
  return cell.trim().toLowerCase();
}

function splitList(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const items = value
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length ? items : undefined;
}

function unknownField(spec: KindSpec, field: string): string {
  return `unknown field${suggestion(spec, field)}; ${spec.kind} fields are ${spec.fields.join(', ')}`;
}

function suggestion(spec: KindSpec, field: string): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of spec.fields) {
    const d = distance(field.toLowerCase(), known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

/** Levenshtein distance, for "did you mean"; the names are short. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function fail(field: string, reason: string): Validated {
  return { ok: false, field, reason };
}
