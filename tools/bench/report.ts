import os from 'node:os';
import type { BenchOptions } from './args.js';
import { BUSY_WARNING_PCT } from './machine-load.js';
import type { ConsumerResult } from './measure.js';
import { round1 } from './stats.js';
import { overheadJson, type OverheadRow } from './overhead.js';
import { cpuJson } from './cpu-report.js';
import { scaleJson, type ScalePoint } from './scale.js';

/** What enhancer is held to (issue 11: 2× the naive worker; p99, idle RSS and start-up kept). */
export const targets = {
  throughputRatio: 2.0,
  p99Ms: 10,
  idleRssMb: 90,
  startupMs: 500,
  exitCode: 0,
} as const;

type Verdict = 'PASS' | 'MISS' | 'n/a';
const verdict = (ok: boolean | undefined): Verdict => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');

interface Row {
  readonly metric: string;
  readonly pick: (r: ConsumerResult) => number | null;
  readonly digits?: number;
  readonly target?: string;
  readonly pass?: (e: ConsumerResult, ratio: number | undefined) => boolean | undefined;
}

const rows: Row[] = [
  {
    metric: 'throughput (jobs/s)',
    pick: (r) => r.throughputJps,
    target: `enh/naive ≥ ${targets.throughputRatio.toFixed(1)}`,
    pass: (_e, ratio) => (ratio === undefined ? undefined : ratio >= targets.throughputRatio),
  },
  // As the scale-out curve counts (start-up and the first jobs' warm-up fall outside it).
  { metric: 'jobs/s once attached', pick: (r) => r.attachedJps },
  {
    metric: 'start-up to 1st job (ms)',
    pick: (r) => r.startupMs,
    digits: 0,
    target: `≤ ${targets.startupMs} ms`,
    pass: (e) => e.startupMs <= targets.startupMs,
  },
  { metric: 'peak RSS (MB)', pick: (r) => r.peakRssMb },
  {
    metric: 'idle RSS (MB)',
    pick: (r) => r.idleRssMb,
    target: `≤ ${targets.idleRssMb} MB`,
    pass: (e) => e.idleRssMb <= targets.idleRssMb,
  },
  { metric: 'CPU, throughput run (s)', pick: (r) => r.cpuThroughputMs / 1000, digits: 2 },
  { metric: 'CPU per paced job (ms)', pick: (r) => r.cpuPerPacedJobMs, digits: 2 },
  { metric: 'latency p50 (ms)', pick: (r) => r.latency.p50 },
  {
    metric: 'latency p99 (ms)',
    pick: (r) => r.latency.p99,
    target: `≤ ${targets.p99Ms} ms`,
    pass: (e) => e.latency.p99 <= targets.p99Ms,
  },
  { metric: 'latency max (ms)', pick: (r) => r.latency.max },
  { metric: 'publisher max lag (ms)', pick: (r) => r.publisherLagMs, digits: 0 },
  {
    metric: 'exit code after SIGTERM',
    pick: (r) => r.exit.code,
    digits: 0,
    target: `= ${targets.exitCode}`,
    pass: (e) => e.exit.code === targets.exitCode && !e.exit.killed,
  },
];

const fmt = (n: number | null | undefined, digits = 1) =>
  n === null || n === undefined ? '—' : n.toFixed(digits);

/** The medians of each consumer, and each round's throughput ratios of enhancer to the others. */
export interface MainResults {
  readonly enhancer: ConsumerResult;
  /** The naive amqplib + pg worker (--skip-baseline: none). */
  readonly baseline?: ConsumerResult;
  /** Consume + ack only, no database (--skip-ceiling: none). */
  readonly ceiling?: ConsumerResult;
  readonly perRound: { readonly vsBaseline: readonly number[]; readonly vsCeiling: readonly number[] };
}

const ratioOf = (e: number | null, other: number | null | undefined) =>
  e !== null && other !== null && other !== undefined && other !== 0 ? e / other : undefined;

export function renderTable(o: BenchOptions, busyPct: number, r: MainResults): string {
  const { enhancer, baseline, ceiling } = r;
  const header = [
    'metric',
    'ceiling',
    'naive',
    'enhancer',
    'enh/naive',
    'enh/ceil',
    'target (enhancer)',
    'verdict',
  ];
  const throughputRatio = baseline ? enhancer.throughputJps / baseline.throughputJps : undefined;
  const body = rows.map((row) => {
    const e = row.pick(enhancer);
    const b = baseline ? row.pick(baseline) : undefined;
    const c = ceiling ? row.pick(ceiling) : undefined;
    const vsB = ratioOf(e, b);
    const vsC = ratioOf(e, c);
    return [
      row.metric,
      fmt(c, row.digits),
      fmt(b, row.digits),
      fmt(e, row.digits),
      vsB === undefined ? '—' : vsB.toFixed(2),
      vsC === undefined ? '—' : vsC.toFixed(2),
      row.target ?? '',
      row.pass ? verdict(row.pass(enhancer, throughputRatio)) : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i >= 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const perRound = (label: string, xs: readonly number[]) =>
    xs.length ? `; throughput ${label} per round: ${xs.map((x) => x.toFixed(2)).join(', ')}` : '';
  const title =
    `enhancer bench: ${o.jobs} jobs (concurrency ${o.concurrency}, enhancer prefetch ${o.prefetch ?? `${2 * o.concurrency} (default)`}), paced ${o.latencyRate} jobs/s ` +
    `for ${o.latencySeconds} s; node ${process.version}, ${os.cpus().length} cores, ${busyPct}% busy before start` +
    (busyPct > BUSY_WARNING_PCT ? ' (WARNING: other load skews these figures)' : '') +
    `\nmedians of ${o.rounds} round(s), ceiling, naive and enhancer alternating` +
    perRound('enh/naive', r.perRound.vsBaseline) +
    perRound('enh/ceil', r.perRound.vsCeiling) +
    `\nceiling: consume + ack only, no database (the broker's limit; start-up is to its first ack); ` +
    `naive: amqplib + pg, pool = prefetch = ${o.concurrency}`;
  return [title, '', line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)]
    .map((l) => l.trimEnd())
    .join('\n');
}

const asJson = (r: ConsumerResult) => ({
  throughput_jps: round1(r.throughputJps),
  throughput_once_attached_jps: round1(r.attachedJps),
  startup_ms: Math.round(r.startupMs),
  peak_rss_mb: r.peakRssMb,
  idle_rss_mb: r.idleRssMb,
  cpu_throughput_run_ms: Math.round(r.cpuThroughputMs),
  cpu_per_paced_job_ms: Math.round(r.cpuPerPacedJobMs * 100) / 100,
  latency_ms: { p50: round1(r.latency.p50), p99: round1(r.latency.p99), max: round1(r.latency.max) },
  latency_samples: r.latency.count,
  cpu_per_1000_jobs_ms: cpuJson(r.cpu),
  publisher_max_lag_ms: Math.round(r.publisherLagMs),
  exit_code: r.exit.code,
  exit_signal: r.exit.signal,
  killed: r.exit.killed,
});

/** One line for machines. */
export function renderJson(
  o: BenchOptions,
  busyPct: number,
  r: MainResults,
  extra: {
    overhead?: readonly OverheadRow[];
    scale?: readonly ScalePoint[];
    ingest?: Record<string, unknown>;
    context?: Record<string, unknown>;
  } = {},
): string {
  const { enhancer, baseline, ceiling } = r;
  const { overhead, scale, ingest, context } = extra;
  const ratio = baseline ? enhancer.throughputJps / baseline.throughputJps : null;
  const vsCeiling = ceiling ? enhancer.throughputJps / ceiling.throughputJps : null;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return JSON.stringify({
    bench: 'enhancer',
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    machine_busy_pct_before: busyPct,
    jobs: o.jobs,
    concurrency: o.concurrency,
    enhancer_prefetch: o.prefetch ?? 2 * o.concurrency,
    latency_rate_jps: o.latencyRate,
    latency_seconds: o.latencySeconds,
    // `baseline` is the naive worker (pool = prefetch since issue 11).
    ceiling: ceiling ? asJson(ceiling) : null,
    baseline: baseline ? asJson(baseline) : null,
    enhancer: asJson(enhancer),
    rounds: o.rounds,
    ratios: {
      throughput: ratio === null ? null : r2(ratio),
      throughput_per_round: r.perRound.vsBaseline.map(r2),
      throughput_vs_ceiling: vsCeiling === null ? null : r2(vsCeiling),
      throughput_vs_ceiling_per_round: r.perRound.vsCeiling.map(r2),
    },
    scale_out: scale ? scaleJson(scale) : null,
    observability_overhead: overhead ? overheadJson(overhead) : null,
    ingest: ingest ?? null,
    context: context ?? null,
    targets: {
      throughput_ratio: {
        min: targets.throughputRatio,
        pass: ratio === null ? null : ratio >= targets.throughputRatio,
      },
      p99_ms: { max: targets.p99Ms, pass: enhancer.latency.p99 <= targets.p99Ms },
      idle_rss_mb: { max: targets.idleRssMb, pass: enhancer.idleRssMb <= targets.idleRssMb },
      startup_ms: { max: targets.startupMs, pass: enhancer.startupMs <= targets.startupMs },
      exit_code: {
        is: targets.exitCode,
        pass: enhancer.exit.code === targets.exitCode && !enhancer.exit.killed,
      },
    },
  });
}
