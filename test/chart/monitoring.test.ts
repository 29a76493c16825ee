/**
 * The operator's view: the alerts and the Grafana dashboard the chart ships.
 *
 * Every PromQL expression is parsed (Prometheus' lezer grammar) and may read only metrics this code
 * exports (read from its own registries) or named outside sources (RabbitMQ, kube-state-metrics,
 * Prometheus). The alerts are then evaluated by promtool, Prometheus' own rule tester, on made-up series:
 * above all the first dead letter of a new label value, which plain increase() never sees. Each alert
 * links a section of docs/runbook.md that exists.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IConfigMap } from 'kubernetes-models/v1';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { stringify } from 'yaml';
import { dashboardJson, DASHBOARD_CONSTANTS } from '../../tools/dashboard.js';
import {
  find,
  helmBinary,
  KEDA_APIS,
  MONITORING_APIS,
  OPERATOR_APIS,
  renderChart,
  templateChart,
  type K8sObject,
  type Overrides,
} from '../helpers/helm.js';
import {
  exportedLabels,
  exportedSeries,
  metricNames,
  sourceOf,
  unknownGroupLabels,
} from '../helpers/promql.js';
import { promtool, promtoolBinary } from '../helpers/promtool.js';

const ROOT = path.resolve(__dirname, '../..');
const DASHBOARD_FILE = path.join(ROOT, 'charts/enhancer/dashboards/enhancer.json');
const INGEST: Overrides = {
  'ingest.enabled': true,
  'tenants.inline': { acme: { secret: 'acme-webhook-secret-0123456789' } },
};
const ALL_ON: Overrides = { ...INGEST, 'prometheusRule.enabled': true, 'grafanaDashboard.enabled': true };

type Rule = NonNullable<NonNullable<IPrometheusRule['spec']['groups']>[number]['rules']>[number];

let exported: Set<string>;
beforeAll(async () => {
  await Promise.all([helmBinary(), promtoolBinary()]);
  exported = await exportedSeries();
}, 180_000);

const rulesOf = (objects: K8sObject[]): Rule[] =>
  (find(objects, 'PrometheusRule') as unknown as IPrometheusRule).spec.groups!.flatMap((g) => g.rules ?? []);
const alertNames = (objects: K8sObject[]) => rulesOf(objects).map((r) => r.alert);

/** Metrics an expression reads that neither this code nor a named outside source exports. */
function unknownMetrics(expr: string): string[] {
  return metricNames(expr).filter((name) => sourceOf(name, exported) === undefined);
}

describe('metric sources', () => {
  it('knows what the code exports, from its registries', () => {
    for (const name of [
      'enhancement_tasks_total',
      'enhancement_task_duration_seconds_bucket',
      'enhancement_step_duration_seconds_bucket',
      'enhancement_step_duration_seconds_count',
      'enhancement_llm_requests_total',
      'enhancement_llm_tokens_total',
      'enhancement_writeback_total',
      'enhancement_dead_letters_total',
      'enhancement_infrastructure_delays_total',
      'ingest_requests_total',
      'ingest_request_duration_seconds_bucket',
    ]) {
      expect(sourceOf(name, exported)).toBe('enhancer');
    }
    expect(sourceOf('rabbitmq_queue_messages_ready', exported)).toBe('RabbitMQ');
    expect(sourceOf('kube_deployment_status_replicas', exported)).toBe('kube-state-metrics');
    expect(sourceOf('enhancement_made_up_total', exported)).toBeUndefined();
  });

  it('flags a grouping by a label the metrics read do not carry', () => {
    const labels = exportedLabels();
    expect(labels.get('enhancement_step_duration_seconds_bucket')).toEqual(
      new Set([
        'step',
        'status',
        'le',
        'namespace',
        'job',
        'pod',
        'instance',
        'service',
        'endpoint',
        'container',
      ]),
    );
    expect(unknownGroupLabels('sum by (outcome) (rate(enhancement_writeback_total[5m]))', labels)).toEqual(
      [],
    );
    expect(unknownGroupLabels('sum by (reason) (rate(enhancement_writeback_total[5m]))', labels)).toEqual([
      'reason',
    ]);
  });

  it('flags a query that does not parse, and one that reads a metric nobody exports', () => {
    expect(() => metricNames('sum(rate(enhancement_tasks_total[5m])')).toThrow(/does not parse/);
    expect(unknownMetrics('sum(rate(enhancement_taskz_total[5m])) / sum(up)')).toEqual([
      'enhancement_taskz_total',
    ]);
  });
});

describe('alerts', () => {
  const variants: [string, Overrides, readonly string[]][] = [
    ['KEDA, ingest and RabbitMQ metrics', ALL_ON, OPERATOR_APIS],
    [
      'the CPU HPA, detailed RabbitMQ metrics with a selector',
      {
        ...ALL_ON,
        'rabbitmqMetrics.prefix': 'rabbitmq_detailed_',
        'rabbitmqMetrics.selector': 'vhost="/", namespace="mq"',
      },
      MONITORING_APIS,
    ],
  ];

  it.each(variants)(
    '%s: every expression parses and reads only known metrics',
    async (_name, values, apis) => {
      const rules = rulesOf(await renderChart(values, { apiVersions: apis }));
      expect(rules.length).toBe(12);
      const labels = exportedLabels();
      for (const rule of rules) {
        const expr = String(rule.expr);
        expect({
          alert: rule.alert,
          unknown: unknownMetrics(expr),
          groupedBy: unknownGroupLabels(expr, labels),
        }).toEqual({ alert: rule.alert, unknown: [], groupedBy: [] });
      }
    },
  );

  it('each links an existing section of docs/runbook.md', async () => {
    const runbook = readFileSync(path.join(ROOT, 'docs/runbook.md'), 'utf8');
    // GitHub's anchors: the heading in lower case, punctuation dropped, spaces as dashes.
    const anchors = new Set(
      [...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const rules = rulesOf(
      await renderChart(
        {
          ...ALL_ON,
          'prometheusRule.runbookUrl': 'https://git.example.com/acme/enhancer/blob/main/docs/runbook.md',
        },
        { apiVersions: OPERATOR_APIS },
      ),
    );
    for (const rule of rules) {
      const url = rule.annotations!.runbook_url!;
      expect(url.startsWith('https://git.example.com/acme/enhancer/blob/main/docs/runbook.md#')).toBe(true);
      expect({ alert: rule.alert, anchor: anchors.has(url.split('#')[1]!) }).toEqual({
        alert: rule.alert,
        anchor: true,
      });
    }
  });

  it('leaves out disabled alerts and those needing RabbitMQ metrics when they are off; adds extra rules', async () => {
    const objects = await renderChart(
      {
        ...ALL_ON,
        'prometheusRule.disabled': {
          EnhancerHighFailureRatio: true,
          EnhancerIngestServerErrors: true,
          EnhancerLlmMisconfigured: true,
        },
        'rabbitmqMetrics.enabled': false,
        'prometheusRule.extraRules': [
          {
            alert: 'EnhancerSlowJobs',
            expr: 'histogram_quantile(0.95, sum by (le) (rate(enhancement_task_duration_seconds_bucket[10m]))) > 60',
            for: '15m',
            labels: { severity: 'info' },
          },
        ],
        'prometheusRule.namespace': 'monitoring',
      },
      { apiVersions: OPERATOR_APIS },
    );
    expect(alertNames(objects)).toEqual([
      'EnhancerDeadLettersGrowing',
      'EnhancerJobsPastDeadline',
      'EnhancerJanitorAbandonedJobs',
      'EnhancerInfrastructureDelays',
      'EnhancerWritebackRejected',
      'EnhancerContextStepTimeouts',
      'EnhancerReplicasAtMax',
      'EnhancerSlowJobs',
    ]);
    expect(find(objects, 'PrometheusRule').metadata.namespace).toBe('monitoring');
    // Disabling names only alerts that exist.
    const res = await templateChart({ 'prometheusRule.disabled': { EnhancerTypo: true } });
    expect(res.code).not.toBe(0);
  });

  it('takes its thresholds, windows, durations and labels from the values', async () => {
    const rules = rulesOf(
      await renderChart(
        {
          ...ALL_ON,
          'prometheusRule.alertLabels': { severity: 'critical', team: 'helpdesk' },
          'prometheusRule.infrastructureDelays': { threshold: 5, window: '30m', for: '20m' },
          'prometheusRule.workersAbsent.for': '3m',
          'prometheusRule.backlog': { threshold: 1000, window: '1h', for: '30m' },
          'prometheusRule.maxReplicas.for': '2h',
          'prometheusRule.writebackRejected': { window: '1h', for: '5m' },
          'prometheusRule.llmMisconfigured': { window: '30m', for: '1m' },
          'prometheusRule.contextStepTimeouts': { threshold: 0.25, window: '20m', for: '30m' },
          'rabbitmqMetrics.prefix': 'rabbitmq_detailed_',
          'rabbitmqMetrics.selector': 'vhost="jobs"',
        },
        { apiVersions: OPERATOR_APIS },
      ),
    );
    const rule = (name: string) => rules.find((r) => r.alert === name)!;
    expect(rule('EnhancerInfrastructureDelays')).toMatchObject({ for: '20m' });
    expect(String(rule('EnhancerInfrastructureDelays').expr)).toMatch(/\[30m\].* offset 30m\)\) > 5$/);
    expect(rule('EnhancerWorkersAbsent').for).toBe('3m');
    expect(String(rule('EnhancerWorkersAbsent').expr)).toContain(
      'sum(rabbitmq_detailed_queue_messages{queue="enhancement.jobs", vhost="jobs"}) > 0',
    );
    expect(rule('EnhancerBacklogGrowing').for).toBe('30m');
    expect(String(rule('EnhancerBacklogGrowing').expr)).toMatch(/> 1000 and .* offset 1h\)\) > 0$/);
    expect(rule('EnhancerReplicasAtMax').for).toBe('2h');
    expect(rule('EnhancerWritebackRejected').for).toBe('5m');
    expect(String(rule('EnhancerWritebackRejected').expr)).toMatch(
      /^sum by \(outcome\) \(\(increase\(enhancement_writeback_total\{[^}]*outcome=~"auth\|not_found\|rejected"\}\[1h\]\).* offset 1h\)\) > 0$/,
    );
    expect(rule('EnhancerLlmMisconfigured').for).toBe('1m');
    expect(String(rule('EnhancerLlmMisconfigured').expr)).toMatch(
      /^sum by \(outcome\) .*enhancement_llm_requests_total\{[^}]*outcome=~"auth\|not_found"\}\[30m\].* offset 30m\)\) > 0$/,
    );
    expect(rule('EnhancerContextStepTimeouts').for).toBe('30m');
    expect(String(rule('EnhancerContextStepTimeouts').expr)).toMatch(
      /status="timeout"\}\[20m\]\)\).*\[20m\]\)\) > 0\)\s+> 0.25$/s,
    );
    for (const r of rules.filter((x) => x.alert !== 'EnhancerJanitorAbandonedJobs')) {
      expect(r.labels).toEqual({ severity: 'critical', team: 'helpdesk' });
    }
    expect(rule('EnhancerJanitorAbandonedJobs').labels).toEqual({ severity: 'info', team: 'helpdesk' });
  });

  it('watches the HPA the workers really have: KEDA’s, the CPU one, or none for fixed replicas', async () => {
    const at = async (values: Overrides, apis: readonly string[]) =>
      rulesOf(await renderChart({ ...values, 'prometheusRule.enabled': true }, { apiVersions: apis })).find(
        (r) => r.alert === 'EnhancerReplicasAtMax',
      )?.expr;
    expect(await at({}, OPERATOR_APIS)).toContain('horizontalpodautoscaler="keda-hpa-rel-enhancer"');
    expect(await at({}, MONITORING_APIS)).toContain('horizontalpodautoscaler="rel-enhancer"');
    expect(await at({ 'autoscaling.enabled': false }, MONITORING_APIS)).toBeUndefined();
  });
});

describe('alerts evaluated by promtool', () => {
  let dir: string;
  const SEL = 'namespace="jobs", job="rel-enhancer"';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'enhancer-rules-'));
    const objects = await renderChart(
      { ...ALL_ON, 'prometheusRule.deadLetters.for': '0m' },
      { apiVersions: OPERATOR_APIS },
    );
    const groups = (find(objects, 'PrometheusRule') as unknown as IPrometheusRule).spec.groups!.map((g) => ({
      ...g,
      // The firing logic is under test here; the texts are checked above and by `promtool check`.
      rules: g.rules!.map(({ annotations: _a, ...rule }) => rule),
    }));
    // The trap the chart avoids, kept beside it so the test shows it is real.
    groups.push({
      name: 'the-trap',
      rules: [
        {
          alert: 'PlainIncrease',
          expr: `sum by (reason) (increase(enhancement_dead_letters_total{${SEL}}[15m])) > 0`,
        },
      ],
    });
    writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups }));
    // The rendered rules, annotations included, as Prometheus would load them.
    writeFileSync(
      path.join(dir, 'chart-rules.yaml'),
      stringify({ groups: (find(objects, 'PrometheusRule') as unknown as IPrometheusRule).spec.groups }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const warning = { severity: 'warning' };

  /** Runs one promtool unit test file; returns its output, and expects success. */
  async function unitTest(name: string, tests: unknown[]): Promise<string> {
    const file = path.join(dir, `${name}.test.yaml`);
    writeFileSync(file, stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
    const res = await promtool(['test', 'rules', path.basename(file)], dir);
    expect(res.output).toContain('SUCCESS');
    expect(res.code).toBe(0);
    return res.output;
  }

  it('promtool loads the rendered rules, annotations and all', async () => {
    const res = await promtool(['check', 'rules', 'chart-rules.yaml'], dir);
    expect(res.output).toContain('SUCCESS: 12 rules found');
    expect(res.code).toBe(0);
  });

  it('fires on the first dead letter of a new reason, which plain increase() misses', async () => {
    await unitTest('first-dead-letter', [
      {
        interval: '1m',
        // The reason's series does not exist until its first dead letter, at minute 10.
        input_series: [
          {
            series: `enhancement_dead_letters_total{${SEL}, reason="retries_exhausted", pod="a"}`,
            values: '_x10 1x40',
          },
        ],
        alert_rule_test: [
          { eval_time: '9m', alertname: 'EnhancerDeadLettersGrowing', exp_alerts: [] },
          {
            eval_time: '12m',
            alertname: 'EnhancerDeadLettersGrowing',
            exp_alerts: [{ exp_labels: { ...warning, reason: 'retries_exhausted' } }],
          },
          { eval_time: '12m', alertname: 'PlainIncrease', exp_alerts: [] },
          // Quiet again once the window has passed without another.
          { eval_time: '40m', alertname: 'EnhancerDeadLettersGrowing', exp_alerts: [] },
        ],
      },
    ]);
  });

  it('fires on later dead letters of a known reason, and on a restarted pod’s first', async () => {
    await unitTest('later-dead-letters', [
      {
        interval: '1m',
        input_series: [
          // Known since minute 0, one more at minute 30.
          {
            series: `enhancement_dead_letters_total{${SEL}, reason="invalid", pod="a"}`,
            values: '1x29 2x30',
          },
          // pod b is new at minute 40 with one dead letter already counted.
          {
            series: `enhancement_dead_letters_total{${SEL}, reason="invalid", pod="b"}`,
            values: '_x40 1x19',
          },
        ],
        alert_rule_test: [
          { eval_time: '20m', alertname: 'EnhancerDeadLettersGrowing', exp_alerts: [] },
          {
            eval_time: '32m',
            alertname: 'EnhancerDeadLettersGrowing',
            exp_alerts: [{ exp_labels: { ...warning, reason: 'invalid' } }],
          },
          {
            eval_time: '41m',
            alertname: 'EnhancerDeadLettersGrowing',
            exp_alerts: [{ exp_labels: { ...warning, reason: 'invalid' } }],
          },
          { eval_time: '58m', alertname: 'EnhancerDeadLettersGrowing', exp_alerts: [] },
        ],
      },
    ]);
  });

  it('counts infrastructure delays of a new cause once they last (for: 10m)', async () => {
    await unitTest('infrastructure-delays', [
      {
        interval: '1m',
        input_series: [
          {
            series: `enhancement_infrastructure_delays_total{${SEL}, cause="postgres", pod="a"}`,
            values: '_x5 1+1x30',
          },
        ],
        alert_rule_test: [
          { eval_time: '10m', alertname: 'EnhancerInfrastructureDelays', exp_alerts: [] },
          {
            eval_time: '17m',
            alertname: 'EnhancerInfrastructureDelays',
            exp_alerts: [{ exp_labels: { ...warning, cause: 'postgres' } }],
          },
        ],
      },
    ]);
  });

  it('sees abandoned attempts and janitor sweeps on unlabelled counters', async () => {
    await unitTest('unlabelled', [
      {
        interval: '1m',
        input_series: [
          { series: `enhancement_abandoned_attempts_total{${SEL}, pod="a"}`, values: '0x20 1x20' },
          { series: `enhancement_janitor_abandoned_total{${SEL}, pod="a"}`, values: '0x20 3x20' },
        ],
        alert_rule_test: [
          { eval_time: '19m', alertname: 'EnhancerJobsPastDeadline', exp_alerts: [] },
          { eval_time: '22m', alertname: 'EnhancerJobsPastDeadline', exp_alerts: [{ exp_labels: warning }] },
          {
            eval_time: '22m',
            alertname: 'EnhancerJanitorAbandonedJobs',
            exp_alerts: [{ exp_labels: { severity: 'info' } }],
          },
        ],
      },
    ]);
  });

  it('fires when jobs wait and no worker is up, not while one is', async () => {
    const queue = 'rabbitmq_queue_messages{queue="enhancement.jobs", vhost="/"}';
    await unitTest('workers-absent', [
      {
        interval: '1m',
        input_series: [
          { series: queue, values: '5x40' },
          // Up until minute 10, then the target is gone (scaled to zero and never woken).
          { series: `up{${SEL}, pod="a"}`, values: '1x10' },
        ],
        alert_rule_test: [
          { eval_time: '9m', alertname: 'EnhancerWorkersAbsent', exp_alerts: [] },
          { eval_time: '18m', alertname: 'EnhancerWorkersAbsent', exp_alerts: [] },
          { eval_time: '30m', alertname: 'EnhancerWorkersAbsent', exp_alerts: [{ exp_labels: warning }] },
        ],
      },
    ]);
  });

  it('fires on a large backlog that keeps growing, not on a large one that shrinks, nor on other queues', async () => {
    const jobs = 'rabbitmq_queue_messages{queue="enhancement.jobs", vhost="/"}';
    await unitTest('backlog', [
      {
        interval: '1m',
        input_series: [
          { series: jobs, values: '400+10x60' },
          { series: 'rabbitmq_queue_messages{queue="other.jobs", vhost="/"}', values: '9000+10x60' },
        ],
        alert_rule_test: [
          { eval_time: '15m', alertname: 'EnhancerBacklogGrowing', exp_alerts: [] },
          { eval_time: '45m', alertname: 'EnhancerBacklogGrowing', exp_alerts: [{ exp_labels: warning }] },
        ],
      },
      {
        interval: '1m',
        input_series: [{ series: jobs, values: '5000-10x60' }],
        alert_rule_test: [{ eval_time: '45m', alertname: 'EnhancerBacklogGrowing', exp_alerts: [] }],
      },
    ]);
  });

  it('fires when the workers sit at the HPA maximum for 30 minutes', async () => {
    const hpa = 'namespace="jobs", horizontalpodautoscaler="keda-hpa-rel-enhancer", job="kube-state-metrics"';
    await unitTest('replicas-at-max', [
      {
        interval: '1m',
        input_series: [
          { series: `kube_horizontalpodautoscaler_status_current_replicas{${hpa}}`, values: '5x10 20x50' },
          { series: `kube_horizontalpodautoscaler_spec_max_replicas{${hpa}}`, values: '20x60' },
        ],
        alert_rule_test: [
          { eval_time: '30m', alertname: 'EnhancerReplicasAtMax', exp_alerts: [] },
          {
            eval_time: '45m',
            alertname: 'EnhancerReplicasAtMax',
            exp_alerts: [
              {
                exp_labels: {
                  ...warning,
                  namespace: 'jobs',
                  horizontalpodautoscaler: 'keda-hpa-rel-enhancer',
                },
              },
            ],
          },
        ],
      },
    ]);
  });

  it('fires on notes the helpdesk refused for good, a new pod’s first included, not on transient ones', async () => {
    const series = (outcome: string, pod: string, values: string) => ({
      series: `enhancement_writeback_total{${SEL}, outcome="${outcome}", pod="${pod}"}`,
      values,
    });
    await unitTest('writeback-rejected', [
      {
        interval: '1m',
        input_series: [
          // Pre-initialised at 0, one refusal at minute 11.
          series('auth', 'a', '0x10 1x40'),
          // A pod Prometheus first scrapes after its first two refusals.
          series('not_found', 'b', '_x20 2x30'),
          // Transient, and good outcomes: never.
          series('server_error', 'a', '0+1x50'),
          series('rate_limited', 'a', '0+3x50'),
          series('posted', 'a', '0+10x50'),
        ],
        alert_rule_test: [
          { eval_time: '9m', alertname: 'EnhancerWritebackRejected', exp_alerts: [] },
          {
            eval_time: '12m',
            alertname: 'EnhancerWritebackRejected',
            exp_alerts: [{ exp_labels: { ...warning, outcome: 'auth' } }],
          },
          {
            eval_time: '21m',
            alertname: 'EnhancerWritebackRejected',
            exp_alerts: [
              { exp_labels: { ...warning, outcome: 'auth' } },
              { exp_labels: { ...warning, outcome: 'not_found' } },
            ],
          },
          { eval_time: '45m', alertname: 'EnhancerWritebackRejected', exp_alerts: [] },
        ],
      },
    ]);
  });

  it('fires on a refused key or model, a new pod’s first included, not on timeouts or rate limits', async () => {
    const series = (outcome: string, pod: string, values: string) => ({
      series: `enhancement_llm_requests_total{${SEL}, outcome="${outcome}", pod="${pod}"}`,
      values,
    });
    await unitTest('llm-misconfigured', [
      {
        interval: '1m',
        input_series: [
          series('not_found', 'a', '_x10 1x30'),
          series('auth', 'b', '0x25 0+1x15'),
          series('timeout', 'a', '0+2x40'),
          series('rate_limited', 'a', '0+1x40'),
          series('ok', 'a', '0+20x40'),
        ],
        alert_rule_test: [
          { eval_time: '9m', alertname: 'EnhancerLlmMisconfigured', exp_alerts: [] },
          {
            eval_time: '12m',
            alertname: 'EnhancerLlmMisconfigured',
            exp_alerts: [{ exp_labels: { ...warning, outcome: 'not_found' } }],
          },
          {
            eval_time: '30m',
            alertname: 'EnhancerLlmMisconfigured',
            exp_alerts: [{ exp_labels: { ...warning, outcome: 'auth' } }],
          },
        ],
      },
    ]);
  });

  it('fires when a context step times out for a sustained share of jobs, by step', async () => {
    const count = (step: string, status: string, values: string) => ({
      series: `enhancement_step_duration_seconds_count{${SEL}, step="${step}", status="${status}", pod="a"}`,
      values,
    });
    await unitTest('context-step-timeouts', [
      {
        interval: '1m',
        input_series: [
          // kb_articles: 2 of 10 jobs a minute time out (20%).
          count('kb_articles', 'ok', '0+8x60'),
          count('kb_articles', 'timeout', '0+2x60'),
          // similar_tickets: 1 in 50 (2%), below the 10% threshold.
          count('similar_tickets', 'ok', '0+49x60'),
          count('similar_tickets', 'timeout', '0+1x60'),
          // ip_assets: errors are not timeouts.
          count('ip_assets', 'ok', '0+5x60'),
          count('ip_assets', 'error', '0+5x60'),
        ],
        alert_rule_test: [
          // Pending until it has held for 15 minutes.
          { eval_time: '10m', alertname: 'EnhancerContextStepTimeouts', exp_alerts: [] },
          {
            eval_time: '30m',
            alertname: 'EnhancerContextStepTimeouts',
            exp_alerts: [{ exp_labels: { ...warning, step: 'kb_articles' } }],
          },
        ],
      },
    ]);
  });

  it('would catch a wrong expectation (the harness can fail)', async () => {
    const file = path.join(dir, 'wrong.test.yaml');
    writeFileSync(
      file,
      stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              { series: `enhancement_dead_letters_total{${SEL}, reason="x"}`, values: '_x10 1x20' },
            ],
            alert_rule_test: [
              { eval_time: '12m', alertname: 'PlainIncrease', exp_alerts: [{ exp_labels: { reason: 'x' } }] },
            ],
          },
        ],
      }),
    );
    const res = await promtool(['test', 'rules', 'wrong.test.yaml'], dir);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('FAILED');
  });
});

describe('Grafana dashboard', () => {
  /** Grafana's variables, as a query sees them, for parsing. */
  const substitute = (expr: string, constants: Record<string, string>) =>
    expr
      .replace(/\$__rate_interval/g, '5m')
      .replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_m, a: string | undefined, b: string | undefined) => constants[(a ?? b)!] ?? `<${a ?? b}>`,
      );

  interface Panel {
    type: string;
    title: string;
    targets?: { expr: string }[];
  }
  interface Dashboard {
    uid: string;
    title: string;
    panels: Panel[];
    templating: { list: { name: string; type: string; query: string }[] };
  }

  it('is the JSON tools/dashboard.ts builds (UPDATE_DASHBOARD=1 npx jest … rewrites the file)', () => {
    const built = dashboardJson();
    if (process.env.UPDATE_DASHBOARD === '1') writeFileSync(DASHBOARD_FILE, built);
    expect(readFileSync(DASHBOARD_FILE, 'utf8')).toBe(built);
  });

  it('has the panels the operator needs, each query parsing and reading only known metrics', () => {
    const dash = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
    const panels = dash.panels.filter((p) => p.type !== 'row');
    expect(panels.map((p) => p.title)).toEqual([
      'Throughput by status',
      'Completed by tenant (top 10)',
      'Job duration',
      'Retries and infrastructure delays',
      'Dead letters by reason',
      'In flight vs capacity',
      'Context step duration',
      'Context step outcomes',
      'LLM requests by outcome',
      'LLM tokens per second',
      'Write-backs by outcome',
      'Queue depth',
      'Replicas',
      'Ingest answers by code',
      'Ingest latency',
    ]);
    const sources = new Set<string>();
    const labels = exportedLabels();
    for (const panel of panels) {
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const { expr } of panel.targets!) {
        const names = metricNames(substitute(expr, DASHBOARD_CONSTANTS));
        for (const name of names) sources.add(sourceOf(name, exported) ?? `unknown: ${name}`);
        expect({
          panel: panel.title,
          unknown: unknownMetrics(substitute(expr, DASHBOARD_CONSTANTS)),
          groupedBy: unknownGroupLabels(substitute(expr, DASHBOARD_CONSTANTS), labels),
        }).toEqual({
          panel: panel.title,
          unknown: [],
          groupedBy: [],
        });
      }
    }
    expect([...sources].sort()).toEqual(['Prometheus', 'RabbitMQ', 'enhancer', 'kube-state-metrics']);
  });

  it('shows the context steps by step (p50 and p99), the model and the write-backs by outcome', () => {
    const dash = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
    const exprs = (title: string) => dash.panels.find((p) => p.title === title)!.targets!.map((t) => t.expr);
    expect(exprs('Context step duration')).toEqual([
      expect.stringMatching(
        /^histogram_quantile\(0\.5, sum by \(le, step\) \(rate\(enhancement_step_duration_seconds_bucket/,
      ),
      expect.stringMatching(
        /^histogram_quantile\(0\.99, sum by \(le, step\) \(rate\(enhancement_step_duration_seconds_bucket/,
      ),
    ]);
    expect(exprs('Context step outcomes')[0]).toContain(
      'sum by (step, status) (rate(enhancement_step_duration_seconds_count{namespace="$namespace", job="$job"}',
    );
    expect(exprs('LLM requests by outcome')[0]).toContain(
      'sum by (outcome) (rate(enhancement_llm_requests_total',
    );
    expect(exprs('LLM tokens per second')[0]).toContain('sum by (kind) (rate(enhancement_llm_tokens_total');
    expect(exprs('Write-backs by outcome')[0]).toContain(
      'sum by (outcome) (rate(enhancement_writeback_total',
    );
  });

  it('is off by default; on, a ConfigMap the Grafana sidecar picks up', async () => {
    expect((await renderChart({})).filter((o) => o.metadata.name.endsWith('-dashboard'))).toEqual([]);
    const objects = await renderChart({
      'grafanaDashboard.enabled': true,
      'grafanaDashboard.namespace': 'monitoring',
      'grafanaDashboard.annotations': { grafana_folder: 'Enhancer' },
    });
    const cm = find(objects, 'ConfigMap', '-dashboard') as unknown as IConfigMap;
    expect(cm.metadata!.namespace).toBe('monitoring');
    expect(cm.metadata!.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(cm.metadata!.annotations).toEqual({ grafana_folder: 'Enhancer' });
    expect(Object.keys(cm.data!)).toEqual(['enhancer.json']);
  });

  it('takes the sidecar label, its value and extra labels from the values', async () => {
    const objects = await renderChart({
      'grafanaDashboard.enabled': true,
      'grafanaDashboard.sidecarLabel': 'grafana.example.com/dashboard',
      'grafanaDashboard.sidecarLabelValue': 'enhancer',
      'grafanaDashboard.labels': { team: 'helpdesk' },
    });
    const cm = find(objects, 'ConfigMap', '-dashboard');
    expect(cm.metadata.labels).toMatchObject({
      'grafana.example.com/dashboard': 'enhancer',
      team: 'helpdesk',
    });
    expect(cm.metadata.labels).not.toHaveProperty('grafana_dashboard');
  });

  it('names the release in its constants, uid and title; every query still parses', async () => {
    const render = async (
      values: Overrides,
      opts: { apiVersions?: readonly string[]; release?: string } = {},
    ) => {
      const objects = await renderChart({ ...INGEST, 'grafanaDashboard.enabled': true, ...values }, opts);
      const cm = find(objects, 'ConfigMap', '-dashboard') as unknown as IConfigMap;
      const dash = JSON.parse(cm.data!['enhancer.json']!) as Dashboard;
      const constants = Object.fromEntries(
        dash.templating.list.filter((v) => v.type === 'constant').map((v) => [v.name, v.query]),
      );
      return { dash, constants };
    };
    const { dash, constants } = await render(
      {
        'config.QUEUE_PREFIX': 'tickets',
        'config.WORKER_CONCURRENCY': 16,
        'rabbitmqMetrics.prefix': 'rabbitmq_detailed_',
        'rabbitmqMetrics.selector': 'vhost="/"',
      },
      { apiVersions: KEDA_APIS },
    );
    expect(constants).toEqual({
      namespace: 'jobs',
      job: 'rel-enhancer',
      deployment: 'rel-enhancer',
      ingest_job: 'rel-enhancer-ingest',
      queue: 'tickets.jobs',
      concurrency: '16',
      hpa: 'keda-hpa-rel-enhancer',
      rabbitmq_prefix: 'rabbitmq_detailed_',
      rabbitmq_selector: ', vhost="/"',
    });
    expect(dash.title).toBe('enhancer (jobs/rel)');
    for (const panel of dash.panels.filter((p) => p.type !== 'row')) {
      for (const { expr } of panel.targets!) expect(unknownMetrics(substitute(expr, constants))).toEqual([]);
    }
    const other = await render({}, { release: 'other' });
    expect(other.dash.uid).not.toBe(dash.uid);
    expect(other.dash.uid.length).toBeLessThanOrEqual(40);
    expect(other.constants.hpa).toBe('other-enhancer');
  });
});
