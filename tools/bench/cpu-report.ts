import type { CpuPer1000 } from './process-cpu.js';

/** One consumer's line in the CPU table. */
export interface CpuRow {
  readonly name: string;
  readonly cpu: CpuPer1000;
}

const ms = (n: number) => n.toFixed(0);

/**
 * Where each consumer's CPU goes in its throughput run, per 1000 jobs: its own process(es),
 * RabbitMQ (beam.smp and children) and Postgres (postmaster and every backend, process-cpu.ts).
 */
export function renderCpu(rows: readonly CpuRow[]): string {
  const header = ['consumer', 'jobs', 'worker', 'RabbitMQ', 'Postgres', 'total'];
  const body = rows.map((r) => [
    r.name,
    String(Math.round(r.cpu.jobs)),
    ms(r.cpu.workerMs),
    ms(r.cpu.rabbitmqMs),
    ms(r.cpu.postgresMs),
    ms(r.cpu.totalMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    'CPU ms per 1000 jobs, by process (throughput run, from every consumer attached to the last job; medians)',
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ].join('\n');
}

export const cpuJson = (c: CpuPer1000) => ({
  jobs: Math.round(c.jobs),
  worker: Math.round(c.workerMs),
  rabbitmq: Math.round(c.rabbitmqMs),
  postgres: Math.round(c.postgresMs),
  total: Math.round(c.totalMs),
});
