/**
 * PromQL checks for the chart's alerts and dashboard: parse an expression with Prometheus' own lezer
 * grammar (@prometheus-io/lezer-promql, the one its web UI uses), list the metrics it reads, and tell
 * whether each is exported by this code or by a named outside source.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { IngestMetrics } from '../../src/ingest/metrics';
import { WorkerMetrics } from '../../src/observability/metrics';

/** The metric names an expression selects; throws, naming the spot, when it does not parse. */
export function metricNames(expr: string): string[] {
  const tree = parser.parse(expr);
  const names = new Set<string>();
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.add(expr.slice(node.from, node.to));
      }
    },
  });
  if (error !== undefined) {
    throw new Error(`PromQL does not parse at ${error}: ${expr.slice(0, error)} ⚠ ${expr.slice(error)}`);
  }
  return [...names];
}

/**
 * Every series name the workers and ingest export, read from their own registries (so a metric added
 * to src/observability/metrics.ts or src/ingest/metrics.ts is known here at once): counters and gauges
 * by name, histograms as _bucket, _sum and _count (prom-client's default process metrics are left out:
 * no chart query reads them).
 */
export async function exportedSeries(): Promise<Set<string>> {
  const series = new Set<string>();
  for (const registry of [new WorkerMetrics(1000, false).registry, new IngestMetrics(1000, false).registry]) {
    for (const metric of await registry.getMetricsAsJSON()) {
      if (String(metric.type) === 'histogram') {
        for (const suffix of ['_bucket', '_sum', '_count']) series.add(`${metric.name}${suffix}`);
      } else {
        series.add(metric.name);
      }
    }
  }
  return series;
}

/**
 * Metrics that come from elsewhere, by source. Only these may appear besides our own. Names checked
 * against each project's exporter: rabbitmq_prometheus (per-object and /metrics/detailed families),
 * kube-state-metrics v2, and Prometheus' own per-target `up`.
 */
export const OUTSIDE_METRICS: Record<string, readonly string[]> = {
  RabbitMQ: [
    'rabbitmq_queue_messages',
    'rabbitmq_queue_messages_ready',
    'rabbitmq_queue_messages_unacked',
    'rabbitmq_detailed_queue_messages',
    'rabbitmq_detailed_queue_messages_ready',
    'rabbitmq_detailed_queue_messages_unacked',
  ],
  'kube-state-metrics': [
    'kube_deployment_status_replicas',
    'kube_horizontalpodautoscaler_status_current_replicas',
    'kube_horizontalpodautoscaler_spec_max_replicas',
  ],
  Prometheus: ['up'],
};

/** Where a metric comes from: `enhancer`, an OUTSIDE_METRICS source, or undefined when unknown. */
export function sourceOf(name: string, exported: ReadonlySet<string>): string | undefined {
  if (exported.has(name)) return 'enhancer';
  return Object.entries(OUTSIDE_METRICS).find(([, names]) => names.includes(name))?.[0];
}
