import type { HistoryRow } from './services';
import type { Sample } from './tickets';

/** Left-aligned columns (right-aligned where `right` says), two spaces apart, no trailing blanks. */
export function table(head: readonly string[], rows: readonly string[][], right: readonly number[] = []) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

const clipped = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** What was enqueued, and what each ticket is set up to do. */
export function enqueuedTable(samples: readonly Sample[]): string[] {
  return table(
    ['TICKET', 'TENANT', 'PRIORITY', 'DESCRIPTION', 'SCENARIO'],
    samples.map((s) => [
      s.job.ticket_id,
      s.job.tenant_id,
      s.job.priority,
      clipped(s.job.description, 48),
      s.scenario,
    ]),
  );
}

/** This run's history rows, in the order the tickets were enqueued. */
export function historyTable(samples: readonly Sample[], rows: readonly HistoryRow[]): string[] {
  const byId = new Map(rows.map((r) => [r.job_id, r]));
  return table(
    ['TICKET', 'TENANT', 'STATUS', 'ATTEMPTS', 'PROCESSING_MS', 'SUMMARY / ERROR'],
    samples.map((s) => {
      const r = byId.get(s.job.job_id);
      if (!r) return [s.job.ticket_id, s.job.tenant_id, '(no row)', '-', '-', '-'];
      return [
        r.ticket_id ?? '-',
        r.tenant_id,
        r.status,
        String(r.attempts),
        r.processing_time_ms === null ? '-' : String(r.processing_time_ms),
        clipped((r.status === 'failed' ? r.error_message : r.result_summary) ?? '-', 80),
      ];
    }),
    [3, 4],
  );
}

/** Every ticket whose row did not end as its scenario says, one phrase each. */
export function surprises(samples: readonly Sample[], rows: readonly HistoryRow[]): string[] {
  const byId = new Map(rows.map((r) => [r.job_id, r]));
  return samples.flatMap((s) => {
    const r = byId.get(s.job.job_id);
    const want = `${s.expect.status} after ${s.expect.attempts} attempt(s)`;
    if (!r) return [`${s.job.ticket_id} has no history row (expected ${want})`];
    if (r.status === s.expect.status && r.attempts === s.expect.attempts) return [];
    return [`${s.job.ticket_id} ended ${r.status} after ${r.attempts} attempt(s), expected ${want}`];
  });
}
