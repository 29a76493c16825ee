import type { ConsumerResult } from './measure.js';
import type { CpuPer1000 } from './process-cpu.js';

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * One result per consumer from several rounds: the median of each figure (this 2-core machine is
 * shared with RabbitMQ and Postgres, so single runs swing by tens of percent), and the worst exit.
 */
export function medianResult(rounds: readonly ConsumerResult[]): ConsumerResult {
  const first = rounds[0];
  if (!first) throw new Error('no rounds to summarise');
  const m = (pick: (r: ConsumerResult) => number) => median(rounds.map(pick));
  return {
    name: first.name,
    jobs: first.jobs,
    throughputJps: m((r) => r.throughputJps),
    attachedJps: m((r) => r.attachedJps),
    startupMs: m((r) => r.startupMs),
    peakRssMb: m((r) => r.peakRssMb),
    idleRssMb: m((r) => r.idleRssMb),
    cpuThroughputMs: m((r) => r.cpuThroughputMs),
    cpu: medianCpu(rounds.map((r) => r.cpu)),
    cpuPerPacedJobMs: m((r) => r.cpuPerPacedJobMs),
    latency: {
      count: m((r) => r.latency.count),
      p50: m((r) => r.latency.p50),
      p99: m((r) => r.latency.p99),
      max: m((r) => r.latency.max),
    },
    publisherLagMs: m((r) => r.publisherLagMs),
    exit: rounds.find((r) => r.exit.code !== 0 || r.exit.killed)?.exit ?? first.exit,
  };
}

/** Each group's median over rounds (so the total is recomputed, not the median total). */
export function medianCpu(rounds: readonly CpuPer1000[]): CpuPer1000 {
  if (!rounds.length) throw new Error('no rounds to summarise');
  const m = (pick: (r: CpuPer1000) => number) => median(rounds.map(pick));
  const workerMs = m((r) => r.workerMs);
  const rabbitmqMs = m((r) => r.rabbitmqMs);
  const postgresMs = m((r) => r.postgresMs);
  return {
    jobs: m((r) => r.jobs),
    workerMs,
    rabbitmqMs,
    postgresMs,
    totalMs: workerMs + rabbitmqMs + postgresMs,
  };
}
