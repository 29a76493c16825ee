import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Config } from '../config/schema.js';
import { detectFormat, sourceLabel, STDIN_PATH } from '../import/format.js';
import { issueLines } from '../import/issues.js';
import { IMPORT_KINDS, isImportKind } from '../import/kinds.js';
import { runImport } from '../import/run-import.js';
import type { ImportOptions, ImportSummary } from '../import/types.js';
import { tenantProblem } from '../import/validate.js';
import { refusalLine, summaryLine } from './import-output.js';
import { openProgress } from './import-progress.js';
import type { ImportFlags } from './flags.js';
import { UsageError } from './usage-error.js';

/** Invalid lines printed before "… and N more". */
const SHOWN_ISSUES = 20;

export interface ImportIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly stdin: Readable;
  /** Where the progress bar goes, if it is a terminal. */
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * `enhancer import tickets|kb|assets --tenant T --file F [--format ndjson|csv] [--skip-invalid] [--dry-run]`,
 * its flags parsed (src/cli/program.ts).
 * Returns the exit code: 0 imported (or a clean dry run), 1 invalid data (nothing imported). Usage
 * errors throw UsageError (exit 2); a database failure throws (exit 1), with nothing imported.
 */
export async function importCommand(
  kind: string,
  flags: ImportFlags,
  config: Config,
  io: ImportIo,
): Promise<number> {
  if (!isImportKind(kind)) {
    throw new UsageError(`<kind> must be one of ${IMPORT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  const values = flags;
  const tenant = tenantProblem(values.tenant);
  if (tenant) throw new UsageError(`--tenant ${tenant}`);
  const detected = detectFormat(values.file, values.format);
  if ('problem' in detected) throw new UsageError(detected.problem);

  const { source, size } = await openSource(values.file, io.stdin);
  const label = sourceLabel(values.file);
  const progress = openProgress(io.stderr, kind, size);
  const opts: ImportOptions = {
    kind,
    tenantId: values.tenant,
    format: detected.format,
    source,
    label,
    skipInvalid: values.skipInvalid,
    dryRun: values.dryRun,
    onProgress: progress && ((p) => progress.update(p)),
  };
  let summary: ImportSummary;
  try {
    summary = opts.dryRun ? await runImport(undefined, opts) : await importIntoDatabase(config, opts);
  } finally {
    progress?.stop();
    source.destroy();
  }
  issueLines(label, summary.invalid, summary.invalidCount, SHOWN_ISSUES).forEach(io.err);
  if (summary.ok || summary.dryRun) io.out(summaryLine(summary));
  const refusal = refusalLine(summary, label);
  if (refusal) io.err(`enhancer: ${refusal}`);
  return summary.ok ? 0 : 1;
}

async function importIntoDatabase(config: Config, opts: ImportOptions): Promise<ImportSummary> {
  // Loaded only here: a dry run needs no database driver at all.
  const { importRows, openImportOrm } = await import('../adapters/db/import/import-rows.js');
  const orm = await openImportOrm(config.databaseUrl, config.db);
  try {
    return await importRows(orm, opts);
  } catch (err) {
    // The URL is never part of the message: it may carry a password.
    throw new Error(`${opts.kind} import failed, nothing imported: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await orm.close(true);
  }
}

/** The file (or stdin), opened before anything else so that a bad path is a usage error. */
async function openSource(file: string, stdin: Readable): Promise<{ source: Readable; size?: number }> {
  if (file === STDIN_PATH) return { source: stdin };
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new UsageError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const stat = await handle.stat();
  if (stat.isDirectory()) {
    await handle.close();
    throw new UsageError(`cannot read ${file}: it is a directory`);
  }
  return {
    source: handle.createReadStream({ highWaterMark: 256 * 1024 }),
    size: stat.isFile() ? stat.size : undefined,
  };
}
