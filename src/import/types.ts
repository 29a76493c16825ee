/**
 * The import's options, outcome and the one port it writes through. The core (run-import.ts) reads,
 * validates and decides; an ImportTarget (Postgres: src/adapters/db/import/) only stores what it is given.
 */
import type { Clock } from '../lib/clock.js';
import type { ImportFormat } from './format.js';
import type { ImportIssue } from './issues.js';
import type { ImportKind, Row } from './kinds.js';
import type { Source } from './source.js';

export interface ImportOptions {
  readonly kind: ImportKind;
  /** Every row is written for this tenant, under its row-level security. */
  readonly tenantId: string;
  readonly format: ImportFormat;
  /** Read once, start to end (stdin cannot be read twice). */
  readonly source: Source;
  /** How the source is named in issue lines: the path given, or `stdin`. */
  readonly label: string;
  /** Import the valid rows even when some are invalid (they are counted as skipped). Default false. */
  readonly skipInvalid?: boolean;
  /** Read and validate only; the target is never used. Default false. */
  readonly dryRun?: boolean;
  /** Called every {@link PROGRESS_EVERY} records and once at the end of the input. */
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Issues kept for the summary (all are counted). Default 1000. */
  readonly keepIssues?: number;
  /** For the duration; the system clock by default. */
  readonly clock?: Pick<Clock, 'now'>;
}

export const PROGRESS_EVERY = 1000;

export interface ImportProgress {
  /** Records read so far (valid or not). */
  readonly rows: number;
  readonly invalid: number;
  /** Bytes of the source read so far. */
  readonly bytes: number;
}

/** What became of the staged rows once upserted. */
export interface WriteCounts {
  readonly inserted: number;
  readonly updated: number;
  /** Rows whose key existed with exactly the same values: left untouched. */
  readonly unchanged: number;
  /** Valid rows replaced by a later line with the same key (the last line wins). */
  readonly duplicates: number;
}

export interface ImportSummary extends WriteCounts {
  readonly kind: ImportKind;
  readonly tenantId: string;
  readonly dryRun: boolean;
  /**
   * The file is acceptable: no invalid line (or --skip-invalid) and nothing that stopped the read.
   * When false nothing was written.
   */
  readonly ok: boolean;
  /** The rows were committed. */
  readonly written: boolean;
  /** Records read (header and blank lines excluded). */
  readonly rows: number;
  readonly valid: number;
  /** Invalid records left out under skipInvalid; 0 otherwise (a refused file imports nothing). */
  readonly skipped: number;
  /** The first invalid lines (see keepIssues), in file order. */
  readonly invalid: readonly ImportIssue[];
  readonly invalidCount: number;
  /** What stopped the read early (a CSV quoting error, a bad header), if anything. */
  readonly fatal?: ImportIssue;
  readonly bytes: number;
  readonly ms: number;
}

/** Where valid rows go. Opened once per import; everything in it is one transaction. */
export interface ImportTarget {
  begin(kind: ImportKind, tenantId: string): Promise<ImportSession>;
}

export interface ImportSession {
  /** Stages one valid row. A promise means "wait before writing more" (backpressure). */
  write(line: number, row: Row): void | Promise<void>;
  /** Upserts everything staged, refreshes what depends on it and commits. Rolls back on failure. */
  commit(): Promise<WriteCounts>;
  /** Forgets everything staged. Safe to call twice, and after a failed write. */
  rollback(): Promise<void>;
}
