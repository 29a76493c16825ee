import { WorkerMetrics } from '../../../src/observability/metrics.js';
import { metricValue } from '../../helpers/fakes.js';

describe('WorkerMetrics', () => {
  it('counts attempts by status and tenant, and observes their duration', async () => {
    const m = new WorkerMetrics(1000, false);
    m.attempt('completed', 'acme', 0.2);
    m.attempt('completed', 'acme', 0.3);
    m.attempt('failed', 'globex');
    expect(await metricValue(m.tasks, { status: 'completed', tenant_id: 'acme' })).toBe(2);
    expect(await metricValue(m.tasks, { status: 'failed', tenant_id: 'globex' })).toBe(1);
    const text = await m.registry.getSingleMetricAsString('enhancement_task_duration_seconds');
    expect(text).toContain('enhancement_task_duration_seconds_count{status="completed",tenant_id="acme"} 2');
    expect(text).not.toContain('tenant_id="globex"');
  });

  it('caps tenant labels: past maxTenants new tenants share "other", known ones keep theirs', () => {
    const m = new WorkerMetrics(2, false);
    expect(['a', 'b', 'c', 'a', 'd', 'b'].map((t) => m.tenant(t))).toEqual([
      'a',
      'b',
      'other',
      'a',
      'other',
      'b',
    ]);
    expect(m.tenant(undefined)).toBe('unknown');
  });

  it('counts abandoned handlers in the gauge and as a plain number for the liveness probe', async () => {
    const m = new WorkerMetrics(1000, false);
    m.attemptAbandoned();
    m.attemptAbandoned();
    m.abandonedSettled();
    expect(m.abandonedStillRunning).toBe(1);
    expect(await metricValue(m.abandonedRunning)).toBe(1);
    expect(await metricValue(m.abandoned)).toBe(2);
  });

  it('owns its registry: two instances do not share numbers or the global registry', async () => {
    const one = new WorkerMetrics(1000, false);
    const two = new WorkerMetrics(1000, false);
    one.retries.inc();
    expect(await metricValue(one.retries)).toBe(1);
    expect(await metricValue(two.retries)).toBe(0);
    expect(one.registry.getSingleMetric('process_cpu_seconds_total')).toBeUndefined();
    expect(one.registry.getSingleMetric('enhancement_task_retries_total')).toBe(one.retries);
  });
});
