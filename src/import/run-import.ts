/**
 * The import, one pass over the input: each record is validated as it is read and, if valid, handed
 * to the target at once, so memory stays flat whatever the file's size. The decision comes at the
 * end: commit when the file is acceptable, otherwise nothing is written. On the first invalid line
 * (without skipInvalid) the target is rolled back straight away and the rest is only validated, so
 * every bad line is still reported.
 */
import { systemClock } from '../lib/clock.js';
import { IssueLog, type ImportIssue } from './issues.js';
import { KINDS } from './kinds.js';
import { readRecords } from './records.js';
import {
  PROGRESS_EVERY,
  type ImportOptions,
  type ImportSession,
  type ImportSummary,
  type ImportTarget,
  type WriteCounts,
} from './types.js';
import { headerProblem, tenantProblem, validateRecord } from './validate.js';

const NOTHING: WriteCounts = { inserted: 0, updated: 0, unchanged: 0, duplicates: 0 };

/**
 * Imports `opts.source` into `target` (unused, and may be undefined, for a dry run). Resolves with
 * the summary whether or not the file was accepted (see `ok`); rejects when the source cannot be
 * read or the target fails, in which case nothing was written.
 */
export async function runImport(
  target: ImportTarget | undefined,
  opts: ImportOptions,
): Promise<ImportSummary> {
  const clock = opts.clock ?? systemClock;
  const started = clock.now();
  const problem = tenantProblem(opts.tenantId);
  if (problem) throw new RangeError(`tenant ${JSON.stringify(opts.tenantId)}: ${problem}`);
  const dryRun = opts.dryRun ?? false;
  if (!dryRun && !target) throw new TypeError('an import target is needed unless dryRun is set');

  const spec = KINDS[opts.kind];
  const log = new IssueLog(opts.keepIssues);
  const ctx = { tenantId: opts.tenantId, format: opts.format };
  let session: ImportSession | undefined = dryRun ? undefined : await target!.begin(opts.kind, opts.tenantId);
  const drop = async () => {
    const s = session;
    session = undefined;
    await s?.rollback();
  };
  let rows = 0;
  let valid = 0;
  let bytes = 0;
  let fatal: ImportIssue | undefined;
  const report = () => opts.onProgress?.({ rows, invalid: log.count, bytes });
  const refuse = async (issue: ImportIssue) => {
    log.add(issue);
    if (!opts.skipInvalid) await drop();
  };

  let counts = NOTHING;
  try {
    const records = readRecords(opts.format, opts.source, {
      onBytes: (n) => (bytes += n),
      checkHeader: (names) => headerProblem(spec, names),
    });
    for await (const event of records) {
      if (event.type === 'fatal') {
        fatal = event.issue;
        log.add(event.issue);
        await drop();
        break;
      }
      rows++;
      if (event.type === 'unreadable') {
        await refuse(event.issue);
      } else {
        const result = validateRecord(spec, event.fields, ctx);
        if (!result.ok) {
          await refuse({ line: event.line, field: result.field, reason: result.reason });
        } else {
          valid++;
          const wait = session?.write(event.line, result.row);
          if (wait) await wait;
        }
      }
      if (rows % PROGRESS_EVERY === 0) report();
    }
    report();
    const ok = fatal === undefined && (log.count === 0 || (opts.skipInvalid ?? false));
    if (ok && session) {
      const s = session;
      session = undefined;
      counts = await s.commit();
    }
    await drop();
    return {
      ...counts,
      kind: opts.kind,
      tenantId: opts.tenantId,
      dryRun,
      ok,
      written: ok && !dryRun,
      rows,
      valid,
      skipped: ok ? rows - valid : 0,
      invalid: log.issues,
      invalidCount: log.count,
      fatal,
      bytes,
      ms: clock.now() - started,
    };
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
}
