import type { ThroughputResult } from './measure.js';
import type { CpuPer1000 } from './process-cpu.js';
import { median, medianCpu } from './rounds.js';

/** The scale-out curve: N enhancer processes on one queue, as KEDA runs them. */
export interface ScalePoint {
  readonly replicas: number;
  /** Median over rounds of jobs/s, from every process attached to the last job. */
  readonly throughputJps: number;
  readonly perRound: readonly number[];
  readonly cpu: CpuPer1000;
  /** The worst exit among the processes of all rounds (0 unless one failed or was killed). */
  readonly exitCode: number | null;
  readonly killed: boolean;
}

/** Groups throughput runs by process count, in ascending order, and takes medians. */
export function scaleOf(runs: readonly ThroughputResult[]): ScalePoint[] {
  const counts = [...new Set(runs.map((r) => r.replicas))].sort((a, b) => a - b);
  return counts.map((replicas) => {
    const mine = runs.filter((r) => r.replicas === replicas);
    const bad = mine.find((r) => r.exit.code !== 0 || r.exit.killed)?.exit ?? mine[0]!.exit;
    return {
      replicas,
      throughputJps: median(mine.map((r) => r.attachedJps)),
      perRound: mine.map((r) => r.attachedJps),
      cpu: medianCpu(mine.map((r) => r.cpu)),
      exitCode: bad.code,
      killed: bad.killed,
    };
  });
}

export function renderScale(points: readonly ScalePoint[], ceilingJps?: number): string {
  const one = points.find((p) => p.replicas === 1)?.throughputJps;
  const header = [
    'processes',
    'jobs',
    'jobs/s',
    'vs 1',
    'vs ceil',
    'per round',
    'CPU/1000: worker',
    'RabbitMQ',
    'Postgres',
  ];
  const body = points.map((p) => [
    String(p.replicas),
    String(Math.round(p.cpu.jobs)),
    p.throughputJps.toFixed(1),
    one ? (p.throughputJps / one).toFixed(2) : '—',
    ceilingJps ? (p.throughputJps / ceilingJps).toFixed(2) : '—',
    p.perRound.map((x) => x.toFixed(0)).join(','),
    p.cpu.workerMs.toFixed(0),
    p.cpu.rabbitmqMs.toFixed(0),
    p.cpu.postgresMs.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    'scale-out: enhancer processes on one queue, --jobs × processes published first; jobs/s and CPU over the\n' +
      'jobs that ran once every process had attached (column jobs), to the last; medians',
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ].join('\n');
}

export function scaleJson(points: readonly ScalePoint[]) {
  return points.map((p) => ({
    processes: p.replicas,
    throughput_jps: Math.round(p.throughputJps * 10) / 10,
    per_round: p.perRound.map((x) => Math.round(x * 10) / 10),
    jobs_measured: Math.round(p.cpu.jobs),
    cpu_per_1000_jobs_ms: {
      worker: Math.round(p.cpu.workerMs),
      rabbitmq: Math.round(p.cpu.rabbitmqMs),
      postgres: Math.round(p.cpu.postgresMs),
      total: Math.round(p.cpu.totalMs),
    },
    exit_code: p.exitCode,
    killed: p.killed,
  }));
}
