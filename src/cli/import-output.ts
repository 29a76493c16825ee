/** What `enhancer import` prints: one summary line on stdout, the reason for a refusal on stderr. */
import type { ImportSummary } from '../import/types.js';

function timing(s: ImportSummary): string {
  const seconds = s.ms / 1000;
  const rate = s.ms > 0 ? Math.round(s.rows / seconds) : s.rows;
  return `${s.kind}: ${s.rows} rows in ${seconds.toFixed(1)} s (${rate} rows/s)`;
}

/** The line for stdout: counts of an import, or of a dry run. */
export function summaryLine(s: ImportSummary): string {
  if (s.dryRun) {
    return `${timing(s)}: dry run, ${s.valid} valid, ${s.invalidCount} invalid, nothing written`;
  }
  return (
    `${timing(s)}: ${s.inserted} inserted, ${s.updated} updated, ${s.unchanged} unchanged, ` +
    `${s.skipped} skipped, ${s.duplicates} duplicates`
  );
}

/** Why nothing was (or, in a dry run, would be) imported; undefined when the file was accepted. */
export function refusalLine(s: ImportSummary, label: string): string | undefined {
  if (s.ok) return undefined;
  const outcome = s.dryRun ? 'an import would write nothing' : 'nothing imported';
  if (s.fatal) {
    return `${label}: cannot be read past line ${s.fatal.line}, ${outcome}`;
  }
  const rest = s.valid > 0 ? ` (--skip-invalid imports the ${plural(s.valid, 'valid row')})` : '';
  return `${label}: ${plural(s.invalidCount, 'invalid line')} of ${s.rows}, ${outcome}${rest}`;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
