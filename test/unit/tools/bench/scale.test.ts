import type { ThroughputResult } from '../../../../tools/bench/measure.js';
import { renderScale, scaleJson, scaleOf } from '../../../../tools/bench/scale.js';

const run = (replicas: number, attachedJps: number, workerMs = 400, code = 0): ThroughputResult => ({
  name: `enhancer×${replicas}`,
  replicas,
  throughputJps: attachedJps - 10,
  attachedJps,
  cpuThroughputMs: 1000,
  cpu: { jobs: 4000 * replicas, workerMs, rabbitmqMs: 100, postgresMs: 300, totalMs: workerMs + 400 },
  exit: { code, signal: null, killed: false },
});

describe('the scale-out curve', () => {
  const points = scaleOf([run(1, 1000), run(2, 1500), run(1, 1100), run(2, 1700, 500, 1), run(1, 900)]);

  it('groups rounds by process count, ascending, with medians and the worst exit', () => {
    expect(points.map((p) => [p.replicas, p.throughputJps, p.perRound])).toEqual([
      [1, 1000, [1000, 1100, 900]],
      [2, 1600, [1500, 1700]],
    ]);
    expect(points[1]!.cpu.workerMs).toBe(450);
    expect(points[1]!.cpu.totalMs).toBe(850);
    expect(points.map((p) => p.exitCode)).toEqual([0, 1]);
  });

  it('shows what each count buys against one process and the ceiling', () => {
    const text = renderScale(points, 4000);
    const two = text.split('\n').find((l) => /^\s+2\s/.test(l))!;
    expect(two.trim().split(/\s+/).slice(0, 5)).toEqual(['2', '8000', '1600.0', '1.60', '0.40']);
    expect(renderScale(points)).toMatch(/1000\.0\s+1\.00\s+—/);
  });

  it('goes into the JSON line', () => {
    expect(scaleJson(points)[1]).toEqual({
      processes: 2,
      throughput_jps: 1600,
      per_round: [1500, 1700],
      jobs_measured: 8000,
      cpu_per_1000_jobs_ms: { worker: 450, rabbitmq: 100, postgres: 300, total: 850 },
      exit_code: 1,
      killed: false,
    });
  });
});
