/**
 * Rows in COPY's text format: tab-separated, `\N` for null, backslash escapes for backslash, tab,
 * newline and carriage return. A list becomes an array literal (each element double-quoted, `"` and
 * `\` escaped), which the text format then escapes again.
 */
import type { RowValue } from '../../../import/kinds.js';

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeText(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : s;
}

/** A Postgres array literal; quoting every element keeps empty strings, commas and braces as they are. */
export function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((item) => `"${item.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

export function copyField(value: RowValue): string {
  if (value === null) return '\\N';
  return escapeText(typeof value === 'string' ? value : arrayLiteral(value));
}

/** One line of COPY input: the source line number, then the values in column order. */
export function copyLine(line: number, values: readonly RowValue[]): string {
  let out = String(line);
  for (const v of values) out += `\t${copyField(v)}`;
  return `${out}\n`;
}
