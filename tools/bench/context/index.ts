import { openReadPool } from '../../../src/adapters/db/orm.js';
import { migrate } from '../../../src/adapters/db/orm.js';
import { deleteTopology, describeTopology } from '../../../src/adapters/amqp/topology.js';
import { startFakeModel } from '../../fakes/openai-server.js';
import type { SampleSpec } from '../../sample/generate.js';
import type { BenchOptions } from '../args.js';
import { onBroker, type Cleanup } from '../cleanup.js';
import { databaseUrlFor, dropDatabase } from '../databases.js';
import { BUSY_WARNING_PCT, waitForQuiet } from '../machine-load.js';
import { loadSample, type ImportFigure } from './load.js';
import { recallAt5 } from './recall.js';
import { DELIVERY_LIMIT, runContextWorker, type RunResult } from './worker-runs.js';

/** How long a worker run waits for the machine to settle after the imports or the run before it. */
const QUIET_WAIT_MS = 30_000;

export type ContextRun = RunResult & {
  /** How busy the machine was (all cores, %) over the second before the worker started. */
  readonly busyPct: number;
};

export interface ContextBenchResult {
  readonly tenants: readonly SampleSpec[];
  readonly imports: readonly ImportFigure[];
  readonly recall: number;
  readonly queries: number;
  readonly extractive: ContextRun;
  readonly slowModel?: ContextRun & { readonly modelLatencyMs: number; readonly boundJps: number };
}

/**
 * The context pipeline at scale: each tenant's generated history (100 000 tickets, 10 000 articles and
 * 10 000 machines by default) imported, the search's recall@5 on query tickets whose related tickets
 * are known, then a worker on the context pipeline (throughput, then per-job and per-step latency at a
 * paced rate), and the same with a stand-in model that answers after `llmLatencyMs`.
 */
export async function runContextBench(
  o: BenchOptions,
  id: string,
  cleanup: Cleanup,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<ContextBenchResult> {
  const db = `enhancer_bench_${id}_context`;
  const databaseUrl = databaseUrlFor(o.databaseUrl, db);
  cleanup.add(`dropped database ${db}`, () => dropDatabase(o.databaseUrl, db));
  await migrate(databaseUrl);
  const tenants: SampleSpec[] = Array.from({ length: o.context.tenants }, (_, i) => ({
    tenant: `bench-${String.fromCharCode(97 + i)}`,
    tenantIndex: i,
    tickets: o.context.tickets,
    articles: o.context.articles,
    assets: o.context.assets,
  }));
  const pool = openReadPool({ databaseUrl, poolMax: 2, applicationName: 'enhancer-bench' });
  let imports: ImportFigure[];
  let recall: number;
  try {
    imports = await loadSample(pool, tenants, log);
    recall = await recallAt5(pool, tenants, o.context.recallQueries);
    log(`context: recall@5 ${recall.toFixed(3)} over ${o.context.recallQueries * tenants.length} queries`);
  } finally {
    await pool.destroy();
  }

  const run = async (name: string, env?: Record<string, string>, burst = o.context.jobs) => {
    const busyPct = await waitForQuiet(QUIET_WAIT_MS, signal);
    if (busyPct > BUSY_WARNING_PCT)
      log(`WARNING: ${name}: the machine was still ${busyPct}% busy after ${QUIET_WAIT_MS / 1000} s`);
    const queuePrefix = `enhancer-bench-${id}-${name}`;
    cleanup.add(`deleted queues and exchanges ${queuePrefix}*`, () =>
      onBroker(o.amqpUrl, (ch) => deleteTopology(ch, describeTopology(queuePrefix, DELIVERY_LIMIT))),
    );
    const result = await runContextWorker(
      {
        name,
        amqpUrl: o.amqpUrl,
        databaseUrl,
        queuePrefix,
        concurrency: o.concurrency,
        burst,
        rate: o.context.rate,
        seconds: o.context.seconds,
        timeoutMs: o.timeoutSeconds * 1000,
        ...(env ? { env } : {}),
      },
      tenants,
      log,
      signal,
    );
    return { ...result, busyPct };
  };
  const extractive = await run('context');
  if (o.context.llmLatencyMs === 0)
    return { tenants, imports, recall, queries: o.context.recallQueries, extractive };

  const model = await startFakeModel({ kind: 'answer', delayMs: o.context.llmLatencyMs, text: 'A note.' });
  try {
    // Enough jobs for about ten model round trips per slot: the bound shows, the run stays short.
    const burst = o.concurrency * 10;
    const slow = await run('context-slow-model', { LLM_BASE_URL: model.baseUrl, LLM_MODEL: 'bench' }, burst);
    return {
      tenants,
      imports,
      recall,
      queries: o.context.recallQueries,
      extractive,
      slowModel: {
        ...slow,
        modelLatencyMs: o.context.llmLatencyMs,
        boundJps: (o.concurrency * 1000) / o.context.llmLatencyMs,
      },
    };
  } finally {
    await model.close();
  }
}
