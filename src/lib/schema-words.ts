/**
 * What a zod schema accepts, in words a person reads: "a whole number from 1 to 1000", "one of json,
 * pretty", "an http(s) URL". One source for the configuration reference (docs/configuration.md) and for
 * the errors the command line prints, so neither speaks zod ("expected number, received NaN").
 */
import type { z } from 'zod';

/** The parts of zod's internal definitions read here (zod 4 keeps them on `schema.def`). */
interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly defaultValue?: unknown;
  readonly entries?: Record<string, string>;
  readonly format?: string;
  readonly error?: (issue?: unknown) => unknown;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
}

interface CheckDef {
  readonly check: string;
  readonly format?: string;
  readonly value?: number;
  readonly inclusive?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly error?: (issue?: unknown) => unknown;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { def: Def }).def;

/** The schema under `.default()`, `.optional()` and transforms, and its default if it has one. */
export function unwrap(schema: z.ZodType): { inner: z.ZodType; default?: unknown; optional: boolean } {
  let s = schema;
  let dflt: unknown;
  let optional = false;
  for (;;) {
    const d = defOf(s);
    if (d.type === 'default') dflt = d.defaultValue;
    if (d.type === 'optional' || d.type === 'default') optional = true;
    const next = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!next) break;
    s = next;
  }
  return dflt === undefined ? { inner: s, optional } : { inner: s, default: dflt, optional };
}

/** A message given in the schema itself (`.regex(re, 'a DNS subdomain name')`), if any. */
function ownMessage(error: CheckDef['error']): string | undefined {
  const m = error?.({});
  return typeof m === 'string' ? m : undefined;
}

const SAFE = Number.MAX_SAFE_INTEGER;

function numberWords(checks: readonly CheckDef[]): string {
  const whole = checks.some((c) => c.check === 'number_format' && /int/.test(c.format ?? ''));
  const lo = checks.find((c) => c.check === 'greater_than');
  const hi = checks.find((c) => c.check === 'less_than' && c.value !== SAFE);
  const noun = whole ? 'a whole number' : 'a number';
  if (lo?.inclusive && hi?.inclusive) return `${noun} from ${lo.value} to ${hi.value}`;
  if (lo?.inclusive && !hi) return `${noun} of at least ${lo.value}`;
  const parts = [
    lo && (lo.inclusive ? `at least ${lo.value}` : `above ${lo.value}`),
    hi && (hi.inclusive ? `at most ${hi.value}` : `below ${hi.value}`),
  ].filter(Boolean);
  return parts.length ? `${noun} ${parts.join(' and ')}` : noun;
}

const FORMATS: Record<string, string> = {
  url: 'a URL',
  uuid: 'a UUID',
  datetime: 'an ISO 8601 date and time with its offset',
};

function stringWords(def: Def, checks: readonly CheckDef[]): string {
  const own = ownMessage(def.error) ?? checks.map((c) => ownMessage(c.error)).find(Boolean);
  if (own) return own;
  const format = def.format ?? checks.find((c) => c.check === 'string_format')?.format;
  if (format && FORMATS[format]) return FORMATS[format];
  const min = checks.find((c) => c.check === 'min_length')?.minimum;
  const max = checks.find((c) => c.check === 'max_length')?.maximum;
  if (max !== undefined) return `text of ${min ?? 0} to ${max} characters`;
  if (min && min > 1) return `text of at least ${min} characters`;
  return min ? 'text, not empty' : 'text';
}

/** What `schema` accepts, e.g. "a whole number from 1 to 1000"; undefined when there is nothing to say. */
export function accepted(schema: z.ZodType): string | undefined {
  const { inner } = unwrap(schema);
  const def = defOf(inner);
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  switch (def.type) {
    case 'number':
      return numberWords(checks);
    case 'enum':
      return `one of ${Object.values(def.entries ?? {}).join(', ')}`;
    case 'string':
      return stringWords(def, checks);
    default:
      return undefined;
  }
}

/** How a given value is shown in an error: quoted, cut to 80 characters. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 79)}…` : text);
}

/**
 * One sentence for a value `name` refused: "`name` is required" when it is missing, else "`name` must
 * be <what the schema accepts>, got <value>" (`secret`: the value is not repeated).
 */
export function refusal(
  name: string,
  schema: z.ZodType | undefined,
  value: unknown,
  issueMessage: string,
  secret = false,
): string {
  if (value === undefined) return `${name} is required`;
  const want = schema && accepted(schema);
  if (!want) return `${name}: ${issueMessage}`;
  return secret ? `${name} must be ${want}` : `${name} must be ${want}, got ${shown(value)}`;
}

/** A default value as an environment variable would carry it: `8`, `0.2`, `info`. */
export function asEnvText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
