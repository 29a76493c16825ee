import { STEP_NAMES } from '../../../src/pipeline/context/types.js';
import { table } from '../../demo/report.js';
import type { ContextBenchResult } from './index.js';

/** What the context pipeline is held to on this 2-core machine (issue 9). */
export const contextTargets = {
  p99PerJobMs: 100,
  throughputJps: 300,
  importRowsPerSecond: 20_000,
  recall: 0.8,
} as const;

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const ms = (n: number) => String(Math.round(n));

export function renderContext(r: ContextBenchResult, rate: number): string {
  const t = contextTargets;
  const byKind = (kind: string) => r.imports.filter((i) => i.kind === kind);
  const rowsPerS = (list: readonly { rows: number; ms: number }[]) =>
    list.reduce((a, i) => a + i.rows, 0) / (list.reduce((a, i) => a + i.ms, 0) / 1000);
  const all = rowsPerS(r.imports);
  const e = r.extractive;
  const sizes = r.tenants[0]!;
  const lines = [
    `context pipeline: ${r.tenants.length} tenants × ${sizes.tickets} tickets, ${sizes.articles} articles, ${sizes.assets} assets`,
    '',
    ...table(
      ['METRIC', 'VALUE', 'TARGET', 'VERDICT'],
      [
        ['import, tickets (rows/s)', ms(rowsPerS(byKind('tickets'))), '', ''],
        ['import, kb (rows/s)', ms(rowsPerS(byKind('kb'))), '', ''],
        ['import, assets (rows/s)', ms(rowsPerS(byKind('assets'))), '', ''],
        [
          'import, all rows (rows/s)',
          ms(all),
          `≥ ${t.importRowsPerSecond}`,
          verdict(all >= t.importRowsPerSecond),
        ],
        [
          `recall@5 (${r.queries * r.tenants.length} queries)`,
          r.recall.toFixed(3),
          `≥ ${t.recall}`,
          verdict(r.recall >= t.recall),
        ],
        ['machine busy before the worker (%)', String(e.busyPct), '', ''],
        [
          'throughput (jobs/s)',
          ms(e.throughputJps),
          `≥ ${t.throughputJps}`,
          verdict(e.throughputJps >= t.throughputJps),
        ],
        [`per job p50 at ${rate} jobs/s (ms)`, ms(e.perJob.p50), '', ''],
        [
          `per job p99 at ${rate} jobs/s (ms)`,
          ms(e.perJob.p99),
          `≤ ${t.p99PerJobMs}`,
          verdict(e.perJob.p99 <= t.p99PerJobMs),
        ],
        ...STEP_NAMES.map((s) => [
          `${s} p50 / p99 (ms)`,
          `${ms(e.steps[s].p50)} / ${ms(e.steps[s].p99)}`,
          '',
          '',
        ]),
        ['worker exit after SIGTERM', String(e.exit.code), '0', verdict(e.exit.code === 0 && !e.exit.killed)],
      ],
      [1],
    ),
  ];
  const s = r.slowModel;
  if (s) {
    lines.push(
      '',
      `with a model that answers after ${s.modelLatencyMs} ms (concurrency bounds throughput at ${ms(s.boundJps)} jobs/s):`,
      '',
      ...table(
        ['METRIC', 'VALUE', 'WITHOUT THE MODEL'],
        [
          ['throughput (jobs/s)', ms(s.throughputJps), ms(e.throughputJps)],
          [
            `per job p50 / p99 at ${rate} jobs/s (ms)`,
            `${ms(s.perJob.p50)} / ${ms(s.perJob.p99)}`,
            `${ms(e.perJob.p50)} / ${ms(e.perJob.p99)}`,
          ],
          ...STEP_NAMES.map((st) => [`${st} p99 (ms)`, ms(s.steps[st].p99), ms(e.steps[st].p99)]),
          [
            'notes by',
            Object.entries(s.synthesis)
              .map(([k, n]) => `${k} ${n}`)
              .join(', '),
            '',
          ],
        ],
        [1, 2],
      ),
    );
  }
  return lines.join('\n');
}

export function contextJson(r: ContextBenchResult): Record<string, unknown> {
  return {
    imports: r.imports,
    recall_at_5: r.recall,
    busy_pct_before_worker: r.extractive.busyPct,
    throughput_jps: r.extractive.throughputJps,
    per_job: r.extractive.perJob,
    steps: r.extractive.steps,
    ...(r.slowModel
      ? {
          slow_model: {
            latency_ms: r.slowModel.modelLatencyMs,
            bound_jps: r.slowModel.boundJps,
            throughput_jps: r.slowModel.throughputJps,
            per_job: r.slowModel.perJob,
            steps: r.slowModel.steps,
            synthesis: r.slowModel.synthesis,
          },
        }
      : {}),
  };
}
