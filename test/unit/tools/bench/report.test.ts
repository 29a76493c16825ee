import type { BenchOptions } from '../../../../tools/bench/args.js';
import { cpuJson, renderCpu } from '../../../../tools/bench/cpu-report.js';
import type { ConsumerResult } from '../../../../tools/bench/measure.js';
import { renderJson, renderTable, type MainResults } from '../../../../tools/bench/report.js';
import { medianResult } from '../../../../tools/bench/rounds.js';

const o = {
  jobs: 5000,
  concurrency: 32,
  latencyRate: 200,
  latencySeconds: 10,
  rounds: 3,
} as BenchOptions;

const result = (name: string, throughputJps: number, workerMs: number): ConsumerResult => ({
  name,
  jobs: 5000,
  throughputJps,
  attachedJps: throughputJps * 1.1,
  startupMs: 200,
  peakRssMb: 80,
  idleRssMb: 60,
  cpuThroughputMs: 2000,
  cpu: { jobs: 4900, workerMs, rabbitmqMs: 150, postgresMs: 400, totalMs: workerMs + 550 },
  cpuPerPacedJobMs: 0.5,
  latency: { count: 2000, p50: 3, p99: 8, max: 12 },
  publisherLagMs: 2,
  exit: { code: 0, signal: null, killed: false },
});

const results: MainResults = {
  ceiling: result('ceiling', 12000, 80),
  baseline: result('baseline', 3000, 300),
  enhancer: result('enhancer', 6000, 450),
  perRound: { vsBaseline: [2, 1.9, 2.1], vsCeiling: [0.5, 0.45, 0.55] },
};

describe('the main table', () => {
  const text = renderTable(o, 3, results);

  it('puts the ceiling and the naive worker beside enhancer, with both ratios', () => {
    expect(text).toMatch(/metric\s+ceiling\s+naive\s+enhancer\s+enh\/naive\s+enh\/ceil/);
    expect(text).toMatch(/throughput \(jobs\/s\)\s+12000\.0\s+3000\.0\s+6000\.0\s+2\.00\s+0\.50/);
  });

  it("gives each round's ratios and says what the peers are", () => {
    expect(text).toContain('enh/naive per round: 2.00, 1.90, 2.10');
    expect(text).toContain('enh/ceil per round: 0.50, 0.45, 0.55');
    expect(text).toContain('pool = prefetch = 32');
  });

  it('leaves the columns of a skipped peer empty', () => {
    const alone = renderTable(o, 3, {
      enhancer: results.enhancer,
      perRound: { vsBaseline: [], vsCeiling: [] },
    });
    expect(alone).toMatch(/throughput \(jobs\/s\)\s+—\s+—\s+6000\.0\s+—\s+—/);
    expect(alone).not.toContain('per round');
  });
});

describe('the JSON line', () => {
  const json = JSON.parse(renderJson(o, 3, results)) as {
    ratios: unknown;
    ceiling: { throughput_jps: number };
    baseline: { cpu_per_1000_jobs_ms: unknown };
    scale_out: unknown;
  };

  it('has the ceiling, both ratios and CPU per 1000 jobs for every consumer', () => {
    expect(json.ratios).toEqual({
      throughput: 2,
      throughput_per_round: [2, 1.9, 2.1],
      throughput_vs_ceiling: 0.5,
      throughput_vs_ceiling_per_round: [0.5, 0.45, 0.55],
    });
    expect(json.ceiling.throughput_jps).toBe(12000);
    expect(json.baseline.cpu_per_1000_jobs_ms).toEqual({
      jobs: 4900,
      worker: 300,
      rabbitmq: 150,
      postgres: 400,
      total: 850,
    });
    expect(json.scale_out).toBeNull();
  });
});

describe('the CPU table', () => {
  it('has one line per consumer, in ms per 1000 jobs by process', () => {
    const text = renderCpu([
      { name: 'naive', cpu: results.baseline!.cpu },
      { name: 'enhancer', cpu: results.enhancer.cpu },
    ]);
    expect(text).toMatch(/consumer\s+jobs\s+worker\s+RabbitMQ\s+Postgres\s+total/);
    expect(text).toMatch(/enhancer\s+4900\s+450\s+150\s+400\s+1000/);
    expect(cpuJson(results.enhancer.cpu).total).toBe(1000);
  });
});

describe('medians over rounds', () => {
  it('takes each process group separately and adds the medians up', () => {
    const m = medianResult([
      result('enhancer', 5000, 400),
      result('enhancer', 7000, 600),
      {
        ...result('enhancer', 6000, 500),
        cpu: { jobs: 4900, workerMs: 500, rabbitmqMs: 900, postgresMs: 0, totalMs: 1400 },
      },
    ]);
    expect(m.throughputJps).toBe(6000);
    expect(m.cpu).toEqual({ jobs: 4900, workerMs: 500, rabbitmqMs: 150, postgresMs: 400, totalMs: 1050 });
  });
});
