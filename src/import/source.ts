/** What a reader yields, whatever the format: records with their source line, or why a line is unreadable. */
import type { Readable } from 'node:stream';
import type { ImportIssue } from './issues.js';

export type SourceEvent =
  /** A record to validate; `line` is the 1-based line where it starts. */
  | { readonly type: 'record'; readonly line: number; readonly fields: Readonly<Record<string, unknown>> }
  /** This record cannot be read, but the ones after it can (bad JSON, a wrong number of CSV fields). */
  | { readonly type: 'unreadable'; readonly issue: ImportIssue }
  /** Reading cannot go on (a CSV quote left open, a bad header): nothing of the file can be trusted. */
  | { readonly type: 'fatal'; readonly issue: ImportIssue };

/** Longest line (NDJSON) or record (CSV): three 64 KiB texts, JSON-escaped, fit with room to spare. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

export type Source = Readable | AsyncIterable<Buffer | string>;

export interface ReadOptions {
  /** Called with the size of every chunk read, for progress. */
  readonly onBytes?: (bytes: number) => void;
  /** Names a problem with a CSV header (already trimmed and lower-cased), or returns undefined. */
  readonly checkHeader?: (names: readonly string[]) => string | undefined;
  readonly maxRecordBytes?: number;
}

/** A reason that stays on one line and is not a wall of text. */
export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
