import { WorkerMetrics } from '../../../src/observability/metrics.js';
import {
  outcomeOf,
  recordSettlement,
  type DeadLetter,
  type Outcome,
  type Settlement,
  type WaitOut,
} from '../../../src/worker/settlement.js';
import { RecordingLogger } from '../../helpers/fakes.js';

const FAILURE = { errorType: 'TransientError', errorMessage: 'still broken', at: '2026-11-28T12:00:00.000Z' };
const RAN: DeadLetter = {
  reason: 'retries_exhausted',
  failure: FAILURE,
  jobId: 'j-1',
  tenantId: 'acme',
  durationMs: 1_500,
};
const UNRUN: DeadLetter = { ...RAN, reason: 'delivery_limit', durationMs: null };
const WAIT: WaitOut = { cause: 'postgres', delayMs: 4_000, error: 'postgres unavailable' };

/** Every counter series and histogram count the settlement moved, as `metric{labels} value`. */
async function moved(metrics: WorkerMetrics): Promise<string[]> {
  const out: string[] = [];
  const counters = [
    metrics.tasks,
    metrics.retries,
    metrics.deadLetters,
    metrics.duplicates,
    metrics.suspects,
    metrics.waitOuts,
    metrics.duration,
  ];
  for (const metric of counters) {
    const { name, values } = await metric.get();
    for (const v of values) {
      const series = (v as { metricName?: string }).metricName ?? name;
      if (v.value === 0 || (series !== name && !series.endsWith('_count'))) continue;
      const labels = Object.entries(v.labels)
        .filter(([k]) => k !== 'le')
        .map(([k, x]) => `${k}=${String(x)}`)
        .join(',');
      out.push(`${series}{${labels}} ${v.value}`);
    }
  }
  return out.sort();
}

/** [settlement, outcome, its one line (level, msg, fields it must carry), the series it moves]. */
const CASES: [string, Settlement, Outcome, { level: string; msg: string; fields?: object }, string[]][] = [
  [
    'quarantined',
    { kind: 'quarantined', messageId: 'j-1', redeliveries: 2, attempt: 1 },
    'quarantined',
    {
      level: 'warn',
      msg: 'redelivered job moved aside to run alone',
      fields: { job_id: 'j-1', redeliveries: 2 },
    },
    ['enhancement_suspect_jobs_total{} 1'],
  ],
  [
    'duplicate',
    { kind: 'duplicate', status: 'completed' },
    'duplicate',
    { level: 'info', msg: 'duplicate delivery skipped', fields: { status: 'completed' } },
    ['enhancement_duplicate_deliveries_total{} 1'],
  ],
  [
    'deferred',
    { kind: 'deferred', delayMs: 2_000 },
    'delayed',
    {
      level: 'info',
      msg: 'same job already running here; this delivery comes back later',
      fields: { delay_ms: 2_000 },
    },
    [],
  ],
  [
    'completed',
    { kind: 'completed', tenantId: 'acme', durationMs: 1_234.4 },
    'completed',
    { level: 'info', msg: 'job completed', fields: { duration_ms: 1_234 } },
    [
      'enhancement_task_duration_seconds_count{status=completed,tenant_id=acme} 1',
      'enhancement_tasks_total{status=completed,tenant_id=acme} 1',
    ],
  ],
  [
    'retried',
    { kind: 'retried', tenantId: 'acme', durationMs: 900, delayMs: 2_000, nextAttempt: 2 },
    'retried',
    { level: 'warn', msg: 'retry scheduled', fields: { delay_ms: 2_000, next_attempt: 2 } },
    [
      'enhancement_task_duration_seconds_count{status=retried,tenant_id=acme} 1',
      'enhancement_task_retries_total{} 1',
      'enhancement_tasks_total{status=retried,tenant_id=acme} 1',
    ],
  ],
  [
    'dead-lettered after running',
    { kind: 'dead-lettered', letter: RAN, row: { kind: 'recorded' } },
    'failed',
    {
      level: 'error',
      msg: 'job dead-lettered',
      fields: { reason: 'retries_exhausted', error_type: 'TransientError', history_recorded: true },
    },
    [
      'enhancement_dead_letters_total{reason=retries_exhausted} 1',
      'enhancement_task_duration_seconds_count{status=failed,tenant_id=acme} 1',
      'enhancement_tasks_total{status=failed,tenant_id=acme} 1',
    ],
  ],
  [
    'dead-lettered without running, row refused',
    { kind: 'dead-lettered', letter: UNRUN, row: { kind: 'unrecorded', error: 'RLS' } },
    'dead_lettered',
    {
      level: 'error',
      msg: 'job dead-lettered',
      fields: {
        reason: 'delivery_limit',
        error_message: 'still broken',
        history_recorded: false,
        history_error: 'RLS',
      },
    },
    [
      'enhancement_dead_letters_total{reason=delivery_limit} 1',
      'enhancement_tasks_total{status=dead_lettered,tenant_id=acme} 1',
    ],
  ],
  [
    'dead-lettered, row owed to an outage',
    { kind: 'dead-lettered', letter: RAN, row: { kind: 'owed', wait: WAIT } },
    'delayed',
    {
      level: 'error',
      msg: 'job dead-lettered',
      fields: {
        reason: 'retries_exhausted',
        error_message: 'still broken',
        history_recorded: false,
        history_error: 'postgres unavailable',
        delay_ms: 4_000,
        cause: 'postgres',
      },
    },
    [
      'enhancement_dead_letters_total{reason=retries_exhausted} 1',
      'enhancement_infrastructure_delays_total{cause=postgres} 1',
      'enhancement_task_duration_seconds_count{status=failed,tenant_id=acme} 1',
      'enhancement_tasks_total{status=failed,tenant_id=acme} 1',
    ],
  ],
  [
    'invalid',
    {
      kind: 'invalid',
      letter: { reason: 'validation', failure: FAILURE, durationMs: null },
      row: { kind: 'skipped' },
    },
    'dead_lettered',
    {
      level: 'warn',
      msg: 'invalid job dead-lettered',
      fields: { reason: 'validation', history_recorded: false },
    },
    [
      'enhancement_dead_letters_total{reason=validation} 1',
      'enhancement_tasks_total{status=dead_lettered,tenant_id=unknown} 1',
    ],
  ],
  [
    'owed row recorded',
    { kind: 'owed-row', reason: 'permanent', row: { kind: 'recorded' } },
    'dead_lettered',
    { level: 'info', msg: 'dead-lettered job recorded as failed', fields: { reason: 'permanent' } },
    [],
  ],
  [
    'owed row refused',
    { kind: 'owed-row', reason: 'permanent', row: { kind: 'unrecorded', error: 'RLS' } },
    'dead_lettered',
    {
      level: 'error',
      msg: 'history refused the dead-lettered job',
      fields: { reason: 'permanent', error_message: 'RLS' },
    },
    [],
  ],
  [
    'waited-out',
    { kind: 'waited-out', wait: WAIT },
    'delayed',
    {
      level: 'warn',
      msg: 'job delayed without spending a retry',
      fields: { delay_ms: 4_000, cause: 'postgres', error_message: 'postgres unavailable' },
    },
    ['enhancement_infrastructure_delays_total{cause=postgres} 1'],
  ],
  [
    'requeued',
    { kind: 'requeued', error: new Error('channel closed') },
    'requeued',
    {
      level: 'error',
      msg: 'could not settle job; returning it to the queue',
      fields: { error_type: 'Error', error_message: 'channel closed' },
    },
    [],
  ],
  [
    'requeued after its dead letter was published',
    { kind: 'requeued', error: new Error('channel closed'), letter: RAN },
    'requeued',
    {
      level: 'error',
      msg: 'could not settle job; returning it to the queue',
      fields: { reason: 'retries_exhausted' },
    },
    [
      'enhancement_dead_letters_total{reason=retries_exhausted} 1',
      'enhancement_task_duration_seconds_count{status=failed,tenant_id=acme} 1',
      'enhancement_tasks_total{status=failed,tenant_id=acme} 1',
    ],
  ],
];

describe('recordSettlement', () => {
  it.each(CASES)('%s: one log line, and only its own metrics', async (_name, s, _outcome, want, series) => {
    const log = new RecordingLogger();
    const metrics = new WorkerMetrics(1000, false);

    recordSettlement(s, log, metrics);

    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: want.level, msg: want.msg, fields: want.fields ?? {} });
    expect(await moved(metrics)).toEqual(series);
  });

  it('observes the pipeline time in seconds', async () => {
    const metrics = new WorkerMetrics(1000, false);
    recordSettlement(
      { kind: 'completed', tenantId: 'acme', durationMs: 1_500 },
      new RecordingLogger(),
      metrics,
    );
    const sum = (await metrics.duration.get()).values.find((v) => v.metricName?.endsWith('_sum'));
    expect(sum?.value).toBe(1.5);
  });

  it('never lets a dead letter overwrite its error_message with the outage that owes its row', () => {
    const log = new RecordingLogger();
    recordSettlement(
      { kind: 'dead-lettered', letter: RAN, row: { kind: 'owed', wait: WAIT } },
      log,
      new WorkerMetrics(1000, false),
    );
    expect(log.lines[0]!.fields.error_message).toBe('still broken');
  });

  it('writes lines on the logger it is given, so they carry the job', () => {
    const lines = new RecordingLogger();
    recordSettlement(
      { kind: 'deferred', delayMs: 1 },
      lines.child({ job_id: 'j-9' }),
      new WorkerMetrics(1000, false),
    );
    expect(lines.lines[0]!.fields).toMatchObject({ job_id: 'j-9' });
  });
});

describe('outcomeOf', () => {
  it.each(CASES)('%s', (_name, s, outcome) => {
    expect(outcomeOf(s)).toBe(outcome);
  });
});
