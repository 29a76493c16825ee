import type { ConsumerResult, ThroughputResult } from './measure.js';
import { median } from './rounds.js';

/** Observability may cost at most this share of throughput. */
export const MAX_OVERHEAD = 0.1;

export interface OverheadRow {
  readonly variant: string;
  readonly what: string;
  readonly throughputJps: number;
  readonly cpuMs: number;
  /** Median over rounds of (variant ÷ quiet) throughput, each from the same round. */
  readonly ratio: number;
  readonly perRound: readonly number[];
}

/**
 * Observability's cost: each round's observed (logs at info, /metrics scraped) and traced runs
 * against that round's quiet run, as throughput ratios; the median ratio is reported.
 */
export function overheadOf(
  quiet: readonly ThroughputResult[],
  observed: readonly ConsumerResult[],
  traced: readonly ThroughputResult[],
): OverheadRow[] {
  const row = (
    variant: string,
    what: string,
    runs: readonly Pick<ThroughputResult, 'throughputJps' | 'cpuThroughputMs'>[],
  ): OverheadRow => {
    const perRound = runs.map((r, i) => r.throughputJps / quiet[i]!.throughputJps);
    return {
      variant,
      what,
      throughputJps: median(runs.map((r) => r.throughputJps)),
      cpuMs: median(runs.map((r) => r.cpuThroughputMs)),
      ratio: median(perRound),
      perRound,
    };
  };
  return [
    row('quiet', 'LOG_LEVEL=error, not scraped, tracing off', quiet),
    row('observed', 'LOG_LEVEL=info, /metrics scraped every 1 s, tracing off', observed),
    row('traced', 'as observed, tracing on (no-op exporter)', traced),
  ];
}

export function renderOverhead(rows: readonly OverheadRow[]): string {
  const lines = rows.map((r) => {
    const cost = 1 - r.ratio;
    const verdict = r.variant === 'quiet' ? '' : cost <= MAX_OVERHEAD ? 'PASS' : 'MISS';
    return [
      r.variant.padEnd(9),
      r.throughputJps.toFixed(1).padStart(8),
      (r.cpuMs / 1000).toFixed(2).padStart(7),
      r.ratio.toFixed(2).padStart(6),
      r.perRound
        .map((x) => x.toFixed(2))
        .join(',')
        .padEnd(16),
      verdict.padEnd(5),
      r.what,
    ].join('  ');
  });
  return [
    `observability overhead (throughput run; ratio = variant ÷ quiet in the same round, median; target ≥ ${(1 - MAX_OVERHEAD).toFixed(2)})`,
    '',
    'variant     jobs/s    CPU s   ratio  per round         verdict  what',
    ...lines,
  ].join('\n');
}

export function overheadJson(rows: readonly OverheadRow[]) {
  return Object.fromEntries(
    rows.map((r) => [
      r.variant,
      {
        throughput_jps: Math.round(r.throughputJps * 10) / 10,
        cpu_throughput_run_ms: Math.round(r.cpuMs),
        ratio_vs_quiet: Math.round(r.ratio * 100) / 100,
        per_round: r.perRound.map((x) => Math.round(x * 100) / 100),
      },
    ]),
  );
}
