/**
 * PromQL checks for the chart's alerts and dashboard: parse an expression with Prometheus' own lezer
 * grammar (@prometheus-io/lezer-promql, the one its web UI uses), list the metrics it reads, and tell
 * whether each is exported by this code or by a named outside source.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { IngestMetrics } from '../../src/ingest/metrics.js';
import { WorkerMetrics } from '../../src/observability/metrics.js';

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

/** Labels Prometheus' scrape (through the chart's ServiceMonitors) adds to every series. */
const TARGET_LABELS = ['namespace', 'job', 'pod', 'instance', 'service', 'endpoint', 'container'];

/**
 * Labels the chart groups by ahead of the code: the infrastructure-delay alert and panel split by `cause`
 * "where the worker labels one" (docs/runbook.md), which it does not yet; without it they sum as one.
 */
const ANTICIPATED: Record<string, readonly string[]> = { enhancement_infrastructure_delays_total: ['cause'] };

/**
 * The labels each series of the workers and ingest carries, by series name: the metric's own label names
 * (read from the registries, as exportedSeries), `le` on histogram buckets, and the scrape's target labels.
 */
export function exportedLabels(): Map<string, Set<string>> {
  const labels = new Map<string, Set<string>>();
  for (const registry of [new WorkerMetrics(1000, false).registry, new IngestMetrics(1000, false).registry]) {
    for (const metric of registry.getMetricsAsArray()) {
      const own = [...((metric as unknown as { labelNames?: readonly string[] }).labelNames ?? [])];
      const names =
        String(metric.type) === 'histogram'
          ? [`${metric.name}_sum`, `${metric.name}_count`, `${metric.name}_bucket`]
          : [metric.name];
      for (const name of names) {
        const extra = [...(ANTICIPATED[name] ?? []), ...(name.endsWith('_bucket') ? ['le'] : [])];
        labels.set(name, new Set([...own, ...TARGET_LABELS, ...extra]));
      }
    }
  }
  return labels;
}

/**
 * Labels an expression aggregates `by (…)` that none of the metrics it reads carries (a typo there
 * silently sums everything into one series). Expressions that also read outside metrics are not checked.
 */
export function unknownGroupLabels(expr: string, labels: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const metrics = metricNames(expr);
  if (metrics.some((m) => !labels.has(m))) return [];
  const grouped = [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  return grouped.filter((label) => !metrics.some((m) => labels.get(m)!.has(label)));
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
