import { parsePromText, samplesOf, valueOf } from '../../helpers/prom-text.js';

const TEXT = `# HELP enhancement_tasks_total Finished attempts.
# TYPE enhancement_tasks_total counter
enhancement_tasks_total{status="completed",tenant_id="acme"} 4
enhancement_tasks_total{status="failed",tenant_id="a \\"quoted\\", odd\\\\one\\nx"} 1

enhancement_tasks_in_flight 0
enhancement_task_duration_seconds_bucket{le="+Inf",status="completed",tenant_id="acme"} 4
process_start_time_seconds 1764352800 1764352800123
nodejs_gc_duration_seconds_sum{kind="minor"} 0.0123
nodejs_eventloop_lag_mean_seconds Nan
up_bound +Inf
`;

describe('parsePromText (the test helper the metrics tests rely on)', () => {
  const samples = parsePromText(TEXT);

  it('reads names, labels (escapes included) and values, skipping comments and blank lines', () => {
    expect(samples).toHaveLength(8);
    expect(samplesOf(samples, 'enhancement_tasks_total').map((s) => s.labels)).toEqual([
      { status: 'completed', tenant_id: 'acme' },
      { status: 'failed', tenant_id: 'a "quoted", odd\\one\nx' },
    ]);
    expect(valueOf(samples, 'enhancement_tasks_in_flight')).toBe(0);
    expect(valueOf(samples, 'process_start_time_seconds')).toBe(1764352800);
    expect(valueOf(samples, 'nodejs_gc_duration_seconds_sum', { kind: 'minor' })).toBe(0.0123);
    expect(valueOf(samples, 'nodejs_eventloop_lag_mean_seconds')).toBeNaN();
    expect(valueOf(samples, 'up_bound')).toBe(Infinity);
  });

  it('matches labels exactly: a subset finds nothing', () => {
    expect(valueOf(samples, 'enhancement_tasks_total', { status: 'completed', tenant_id: 'acme' })).toBe(4);
    expect(valueOf(samples, 'enhancement_tasks_total', { status: 'completed' })).toBeUndefined();
    expect(
      valueOf(samples, 'enhancement_tasks_total', { status: 'completed', tenant_id: 'x' }),
    ).toBeUndefined();
  });

  it('throws on a line it cannot read', () => {
    expect(() => parsePromText('metric{a="1"')).toThrow();
    expect(() => parsePromText('metric{a=1} 2')).toThrow(/bad label/);
    expect(() => parsePromText('metric')).toThrow(/bad value/);
    expect(() => parsePromText('metric abc')).toThrow(/bad value/);
  });
});
