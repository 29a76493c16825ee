/**
 * The Grafana dashboard the chart ships (charts/enhancer/dashboards/enhancer.json), built with Grafana's
 * foundation SDK. `npm run dashboard` writes the JSON; test/chart/dashboard.test.ts fails while the file
 * and this code differ, and parses every query against the metrics the code exports.
 *
 * The layout is plain on purpose (no screenshot can be checked here): rows of two 12-wide time series.
 * Hidden constant variables name the release; the chart sets them (templates/grafana-dashboard.yaml), and
 * the defaults below fit a release `enhancer` in namespace `default`. Metric sources: the workers and
 * ingest (their /metrics), RabbitMQ's Prometheus plugin, kube-state-metrics and Prometheus' own `up`.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** The constants the chart replaces, with the defaults a plain import gets. */
export const DASHBOARD_CONSTANTS = {
  namespace: 'default',
  job: 'enhancer',
  deployment: 'enhancer',
  ingest_job: 'enhancer-ingest',
  queue: 'enhancement.jobs',
  concurrency: '8',
  hpa: 'keda-hpa-enhancer',
  rabbitmq_prefix: 'rabbitmq_',
  rabbitmq_selector: '',
} as const;

const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
const WORKER = 'namespace="$namespace", job="$job"';
const INGEST = 'namespace="$namespace", job="$ingest_job"';
const QUEUE = 'queue="$queue"$rabbitmq_selector';

interface Query {
  readonly expr: string;
  readonly legend: string;
}

const query = (expr: string, legend: string): Query => ({ expr, legend });

function panel(title: string, description: string, unit: string, queries: readonly Query[]) {
  const builder = new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .min(0)
    .height(8)
    .span(12)
    .fillOpacity(10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    );
  queries.forEach((q, i) => {
    builder.withTarget(
      new prometheus.DataqueryBuilder()
        .expr(q.expr)
        .legendFormat(q.legend)
        .refId(String.fromCharCode(65 + i)),
    );
  });
  return builder;
}

const quantile = (q: number) =>
  query(
    `histogram_quantile(${q}, sum by (le) (rate(enhancement_task_duration_seconds_bucket{${WORKER}, status="completed"}[$__rate_interval])))`,
    `p${Math.round(q * 100)}`,
  );

/** A context step's duration quantile, one series per step, whatever the step's outcome. */
const stepQuantile = (q: number) =>
  query(
    `histogram_quantile(${q}, sum by (le, step) (rate(enhancement_step_duration_seconds_bucket{${WORKER}}[$__rate_interval])))`,
    `p${Math.round(q * 100)} {{step}}`,
  );

/** The dashboard as Grafana's JSON model. */
export function buildDashboard(): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder('enhancer')
    .uid('enhancer')
    .tags(['enhancer'])
    .description('Enhancement workers: jobs, context and notes, queue, scaling and the webhook front door.')
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .editable()
    .withVariable(
      new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
    );
  for (const [name, value] of Object.entries(DASHBOARD_CONSTANTS)) {
    builder.withVariable(new dashboard.ConstantVariableBuilder(name).value(value));
  }

  builder
    .withRow(new dashboard.RowBuilder('Jobs'))
    .withPanel(
      panel('Throughput by status', 'Finished attempts per second by outcome (workers).', 'ops', [
        query(`sum by (status) (rate(enhancement_tasks_total{${WORKER}}[$__rate_interval]))`, '{{status}}'),
      ]),
    )
    .withPanel(
      panel(
        'Completed by tenant (top 10)',
        'Completed jobs per second, ten busiest tenants (workers).',
        'ops',
        [
          query(
            `topk(10, sum by (tenant_id) (rate(enhancement_tasks_total{${WORKER}, status="completed"}[$__rate_interval])))`,
            '{{tenant_id}}',
          ),
        ],
      ),
    )
    .withPanel(
      panel('Job duration', 'Pipeline time of completed attempts: quantiles (workers).', 's', [
        quantile(0.5),
        quantile(0.95),
        quantile(0.99),
      ]),
    )
    .withPanel(
      panel(
        'Retries and infrastructure delays',
        'Retries scheduled through the delay ladder, and jobs put back without spending a retry because Postgres or the broker failed (workers).',
        'ops',
        [
          query(`sum(rate(enhancement_task_retries_total{${WORKER}}[$__rate_interval]))`, 'retries'),
          query(
            `sum by (cause) (rate(enhancement_infrastructure_delays_total{${WORKER}}[$__rate_interval]))`,
            'infrastructure delay {{cause}}',
          ),
        ],
      ),
    )
    .withPanel(
      panel('Dead letters by reason', 'Messages moved to the dead-letter queue (workers).', 'short', [
        query(
          `sum by (reason) (increase(enhancement_dead_letters_total{${WORKER}}[$__rate_interval]))`,
          '{{reason}}',
        ),
      ]),
    )
    .withPanel(
      panel(
        'In flight vs capacity',
        'Jobs being processed, against the workers up times WORKER_CONCURRENCY (workers).',
        'short',
        [
          query(`sum(enhancement_tasks_in_flight{${WORKER}})`, 'in flight'),
          query(`count(enhancement_tasks_in_flight{${WORKER}}) * $concurrency`, 'capacity'),
        ],
      ),
    )
    .withRow(new dashboard.RowBuilder('Context and notes'))
    .withPanel(
      panel(
        'Context step duration',
        'Time of each context step (similar_tickets, kb_articles, ip_assets): p50 and p99, whatever its outcome (workers).',
        's',
        [stepQuantile(0.5), stepQuantile(0.99)],
      ),
    )
    .withPanel(
      panel(
        'Context step outcomes',
        'Context steps per second by step and outcome: ok, timeout (over CONTEXT_STEP_TIMEOUT_MS), error (workers).',
        'ops',
        [
          query(
            `sum by (step, status) (rate(enhancement_step_duration_seconds_count{${WORKER}}[$__rate_interval]))`,
            '{{step}} {{status}}',
          ),
        ],
      ),
    )
    .withPanel(
      panel(
        'LLM requests by outcome',
        'Model calls per second: ok, or why the note fell back to the extractive one; auth and not_found mean a bad key or model, which no retry heals (workers).',
        'ops',
        [
          query(
            `sum by (outcome) (rate(enhancement_llm_requests_total{${WORKER}}[$__rate_interval]))`,
            '{{outcome}}',
          ),
        ],
      ),
    )
    .withPanel(
      panel('LLM tokens per second', 'Tokens the model reported, prompt and completion (workers).', 'short', [
        query(`sum by (kind) (rate(enhancement_llm_tokens_total{${WORKER}}[$__rate_interval]))`, '{{kind}}'),
      ]),
    )
    .withPanel(
      panel(
        'Write-backs by outcome',
        'Notes written back to ServiceDesk Plus per second: posted, adopted, already_posted, skipped (no servicedesk), busy, or the failure; auth, not_found and rejected fail the job (workers).',
        'ops',
        [
          query(
            `sum by (outcome) (rate(enhancement_writeback_total{${WORKER}}[$__rate_interval]))`,
            '{{outcome}}',
          ),
        ],
      ),
    )
    .withRow(new dashboard.RowBuilder('Queue and scaling'))
    .withPanel(
      panel(
        'Queue depth',
        "Jobs in the work queue, ready and delivered but unacknowledged (RabbitMQ's Prometheus plugin, per-queue metrics).",
        'short',
        [
          query(`sum(\${rabbitmq_prefix}queue_messages_ready{${QUEUE}})`, 'ready'),
          query(`sum(\${rabbitmq_prefix}queue_messages_unacked{${QUEUE}})`, 'unacknowledged'),
        ],
      ),
    )
    .withPanel(
      panel(
        'Replicas',
        "Worker pods (kube-state-metrics), the autoscaler's maximum (kube-state-metrics), and workers Prometheus scrapes up.",
        'short',
        [
          query(
            'sum(kube_deployment_status_replicas{namespace="$namespace", deployment="$deployment"})',
            'replicas',
          ),
          query(
            'max(kube_horizontalpodautoscaler_spec_max_replicas{namespace="$namespace", horizontalpodautoscaler="$hpa"})',
            'maximum',
          ),
          query(`sum(up{${WORKER}})`, 'up'),
        ],
      ),
    )
    .withRow(new dashboard.RowBuilder('Webhook ingest'))
    .withPanel(
      panel(
        'Ingest answers by code',
        'Webhook requests answered per second, by HTTP status (ingest).',
        'reqps',
        [query(`sum by (code) (rate(ingest_requests_total{${INGEST}}[$__rate_interval]))`, '{{code}}')],
      ),
    )
    .withPanel(
      panel(
        'Ingest latency',
        'Time to answer a webhook request, a 202 including the broker confirm (ingest).',
        's',
        [
          query(
            `histogram_quantile(0.95, sum by (le) (rate(ingest_request_duration_seconds_bucket{${INGEST}}[$__rate_interval])))`,
            'p95',
          ),
          query(
            `histogram_quantile(0.5, sum by (le) (rate(ingest_request_duration_seconds_bucket{${INGEST}}[$__rate_interval])))`,
            'p50',
          ),
        ],
      ),
    );
  return builder.build();
}

/** The file's text: the JSON model, two-space indented, with a final newline. */
export function dashboardJson(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}
