import type { HistoryRow } from './services.js';
import type { Sample } from './tickets.js';

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

/** What was enqueued, and what each ticket is meant to show. */
export function enqueuedTable(samples: readonly Sample[]): string[] {
  return table(
    ['TICKET', 'TENANT', 'DESCRIPTION', 'SCENARIO'],
    samples.map((s) => [
      s.job.ticket_id,
      s.job.tenant_id,
      clipped(firstLine(s.job.description), 52),
      s.scenario,
    ]),
  );
}

/** This run's history rows, in the order the tickets were enqueued. */
export function historyTable(samples: readonly Sample[], rows: readonly HistoryRow[]): string[] {
  const byId = new Map(rows.map((r) => [r.job_id, r]));
  return table(
    ['TICKET', 'STATUS', 'ATTEMPTS', 'MS', 'NOTE BY', 'WRITE-BACK', 'SUMMARY / ERROR'],
    samples.map((s) => {
      const r = byId.get(s.job.job_id);
      if (!r) return [s.job.ticket_id, '(no row)', '-', '-', '-', '-', '-'];
      return [
        s.job.ticket_id,
        r.status,
        String(r.attempts),
        r.processing_time_ms === null ? '-' : String(r.processing_time_ms),
        r.result?.synthesis?.kind ?? '-',
        r.result?.writeback_error ? 'failed' : (r.result?.writeback?.status ?? '-'),
        clipped((r.status === 'failed' ? r.error_message : r.result_summary) ?? '-', 70),
      ];
    }),
    [2, 3],
  );
}

/** Each ticket's note, framed, as the technician would read it. */
export function notes(samples: readonly Sample[], rows: readonly HistoryRow[]): string[] {
  const byId = new Map(rows.map((r) => [r.job_id, r]));
  return samples.flatMap((s) => {
    const note = byId.get(s.job.job_id)?.result?.note;
    if (!note) return [];
    return [
      `── ${s.job.ticket_id} (${s.job.tenant_id}): ${s.scenario}`,
      ...note.split('\n').map((l) => `│ ${l}`),
      '',
    ];
  });
}

/** Every ticket whose outcome or context is not what its scenario says, one phrase each. */
export function surprises(samples: readonly Sample[], rows: readonly HistoryRow[]): string[] {
  const byId = new Map(rows.map((r) => [r.job_id, r]));
  return samples.flatMap((s) => {
    const r = byId.get(s.job.job_id);
    if (!r) return [`${s.job.ticket_id} has no history row`];
    const context = r.result?.context;
    if (!r.result?.note || !context) return [`${s.job.ticket_id} has no note in its history row`];
    const hosts = context.ip_assets.map((a) => a.hostname);
    const similar = context.similar_tickets.map((t) => t.ticket_id);
    const out: string[] = [];
    if (r.status !== s.expect.status)
      out.push(`${s.job.ticket_id} ended ${r.status}, expected ${s.expect.status}`);
    for (const host of s.expect.machines ?? []) {
      if (!hosts.includes(host)) out.push(`${s.job.ticket_id} did not find machine ${host}`);
    }
    if (s.expect.oneOf && !s.expect.oneOf.some((id) => similar.includes(id))) {
      out.push(`${s.job.ticket_id} found none of its related tickets (${s.expect.oneOf.join(', ')})`);
    }
    const found = hosts.length + similar.length + context.kb_articles.length;
    if (s.expect.nothing && found > 0)
      out.push(`${s.job.ticket_id} should relate to nothing, found ${found} items`);
    return out;
  });
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
