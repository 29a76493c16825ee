import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { childEnv } from '../../../src/config/load.js';
import type { Job } from '../../../src/domain/job.js';
import { STEP_NAMES, type StepName } from '../../../src/pipeline/context/types.js';
import { queryTickets, type SampleSpec } from '../../sample/generate.js';
import { ConsumerProcess, type Exit } from '../consumer-process.js';
import { WORKER_NODE_FLAGS, freePort } from '../consumers.js';
import { HistoryProbe } from '../history-probe.js';
import { publishPaced } from '../paced-load.js';
import { enhancerSink, publishAll } from '../sinks.js';
import { summarise, type LatencySummary } from '../stats.js';
import { pollUntil } from '../wait.js';
import { PRODUCT_CLI } from '../../product.js';

export const DELIVERY_LIMIT = 5;

export interface RunPlan {
  readonly name: string;
  readonly amqpUrl: string;
  readonly databaseUrl: string;
  readonly queuePrefix: string;
  readonly concurrency: number;
  /** Jobs published before the worker starts. */
  readonly burst: number;
  /** Then paced load: jobs per second, for this long. */
  readonly rate: number;
  readonly seconds: number;
  readonly timeoutMs: number;
  readonly env?: Record<string, string>;
}

export interface RunResult {
  readonly name: string;
  readonly throughputJps: number;
  /** Publish to completed, under paced load. */
  readonly perJob: LatencySummary;
  /** Each step's own time under paced load (result.steps). */
  readonly steps: Readonly<Record<StepName, LatencySummary>>;
  /** How each paced job's note was made: llm, or extractive with its reason. */
  readonly synthesis: Readonly<Record<string, number>>;
  readonly exit: Exit & { killed: boolean };
}

/** Query tickets of each tenant, round robin, each a new job with a ticket id of its own. */
export function contextJobs(specs: readonly SampleSpec[], count: number, offset: number): Job[] {
  const queries = specs.map((s) => queryTickets(s, 200).map((q) => ({ ...q, tenant: s.tenant })));
  return Array.from({ length: count }, (_, i) => {
    const list = queries[i % queries.length]!;
    const q = list[Math.floor(i / queries.length) % list.length]!;
    return {
      job_id: randomUUID(),
      ticket_id: `${q.ticket_id}-${offset + i}`,
      tenant_id: q.tenant,
      description: q.description,
      priority: 'medium',
      timestamp: new Date().toISOString(),
    };
  });
}

/**
 * One worker process on the context pipeline: a burst of jobs published before it starts (its
 * throughput), then paced load (per-job and per-step latency), then SIGTERM.
 */
export async function runContextWorker(
  plan: RunPlan,
  specs: readonly SampleSpec[],
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<RunResult> {
  const sink = await enhancerSink(plan.amqpUrl, plan.queuePrefix, DELIVERY_LIMIT);
  const probe = await HistoryProbe.open(plan.databaseUrl);
  const before = (await probe.counts()).completed;
  let proc: ConsumerProcess | undefined;
  try {
    const burst = contextJobs(specs, plan.burst, before);
    await publishAll(sink, burst);
    proc = new ConsumerProcess(plan.name, PRODUCT_CLI, ['worker'], {
      env: childEnv({
        AMQP_URL: plan.amqpUrl,
        DATABASE_URL: plan.databaseUrl,
        QUEUE_PREFIX: plan.queuePrefix,
        QUEUE_DELIVERY_LIMIT: String(DELIVERY_LIMIT),
        WORKER_CONCURRENCY: String(plan.concurrency),
        ENHANCER_PIPELINE: 'context',
        LOG_LEVEL: 'warn',
        HTTP_PORT: String(await freePort()),
        ...plan.env,
      }),
      nodeArgs: WORKER_NODE_FLAGS,
    });
    await waitFor(probe, proc, before + plan.burst, plan, signal);
    const span = await spanOf(
      plan.databaseUrl,
      burst.map((j) => j.job_id),
    );
    const throughputJps = (plan.burst - 1) / ((span.last - span.first) / 1000);
    log(`${plan.name}: ${plan.burst} jobs at ${Math.round(throughputJps)} jobs/s; paced load next`);

    const paced = contextJobs(specs, plan.rate * plan.seconds, before + plan.burst);
    const sent = await publishPaced(sink, paced, plan.rate, signal);
    await waitFor(probe, proc, before + plan.burst + paced.length, plan, signal);
    const done = await probe.completedAt(paced.map((j) => j.job_id));
    const perJob = summarise(paced.map((j) => done.get(j.job_id)! - sent.publishedAt.get(j.job_id)!));
    const details = await stepsOf(
      plan.databaseUrl,
      paced.map((j) => j.job_id),
    );
    log(`${plan.name}: paced p50 ${Math.round(perJob.p50)} ms, p99 ${Math.round(perJob.p99)} ms`);
    const exit = await proc.stop(60_000);
    return { name: plan.name, throughputJps, perJob, ...details, exit };
  } finally {
    await proc?.kill();
    await sink.close();
    await probe.close();
  }
}

async function waitFor(
  probe: HistoryProbe,
  proc: ConsumerProcess,
  target: number,
  plan: RunPlan,
  signal: AbortSignal,
): Promise<void> {
  await pollUntil(
    async () => {
      proc.assertRunning();
      const n = await probe.counts();
      return n.completed >= target ? n : undefined;
    },
    {
      everyMs: 100,
      timeoutMs: plan.timeoutMs,
      signal,
      describe: async () => {
        const n = await probe.counts();
        return `${plan.name}: ${n.completed} of ${target} completed (${n.pending} pending, ${n.failed} failed)${proc.describeExit()}`;
      },
    },
  );
}

async function onDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: 'enhancer-bench' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** First and last completion (epoch ms) of these jobs. */
function spanOf(url: string, ids: readonly string[]): Promise<{ first: number; last: number }> {
  return onDb(url, async (c) => {
    const { rows } = await c.query<{ first: number; last: number }>(
      `select extract(epoch from min(updated_at))::float8 * 1000 as first,
              extract(epoch from max(updated_at))::float8 * 1000 as last
         from enhancement_history where job_id = any($1::uuid[]) and status = 'completed'`,
      [ids],
    );
    return rows[0]!;
  });
}

/** Each step's time and each note's kind, from the jobs' stored results. */
function stepsOf(url: string, ids: readonly string[]): Promise<Pick<RunResult, 'steps' | 'synthesis'>> {
  return onDb(url, async (c) => {
    const { rows } = await c.query<{
      result: {
        steps: Record<StepName, { ms: number }>;
        synthesis: { kind: string; fallback_reason?: string };
      };
    }>(`select result from enhancement_history where job_id = any($1::uuid[])`, [ids]);
    const steps = Object.fromEntries(
      STEP_NAMES.map((s) => [s, summarise(rows.map((r) => r.result.steps[s].ms))]),
    ) as Record<StepName, LatencySummary>;
    const synthesis: Record<string, number> = {};
    for (const r of rows) {
      const k =
        r.result.synthesis.kind +
        (r.result.synthesis.fallback_reason ? `:${r.result.synthesis.fallback_reason}` : '');
      synthesis[k] = (synthesis[k] ?? 0) + 1;
    }
    return { steps, synthesis };
  });
}
