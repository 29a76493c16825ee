import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/load.js';

export interface BenchOptions {
  /** Jobs published before each consumer starts (the throughput and start-up run). */
  readonly jobs: number;
  /** Paced load: jobs per second, and for how long. */
  readonly latencyRate: number;
  readonly latencySeconds: number;
  /** How long to wait after the throughput run before reading idle RSS. */
  readonly idleSeconds: number;
  /** Give up on a phase when its rows have not all completed by then. */
  readonly timeoutSeconds: number;
  readonly concurrency: number;
  /** The enhancer's WORKER_PREFETCH; undefined: its default (twice the concurrency). */
  readonly prefetch?: number;
  readonly tenants: number;
  readonly skipBaseline: boolean;
  /** Skip the ceiling peer (consume + ack only, no database). */
  readonly skipCeiling: boolean;
  /** Enhancer process counts for the scale-out curve, ascending; empty: skipped. */
  readonly scale: readonly number[];
  /** Skip the observability-overhead variants (quiet, traced). */
  readonly skipOverhead: boolean;
  /** Skip the ingest (webhook) scenario; or run only it. */
  readonly skipIngest: boolean;
  readonly ingestOnly: boolean;
  readonly ingestSeconds: number;
  readonly ingestConnections: number;
  /** Baseline and enhancer run alternately this many times; the report gives medians. */
  readonly rounds: number;
  /** The context pipeline's run (issue 9/10): its sizes and load; skipped, or the only run. */
  readonly context: {
    readonly skip: boolean;
    readonly only: boolean;
    readonly tenants: number;
    readonly tickets: number;
    readonly articles: number;
    readonly assets: number;
    readonly recallQueries: number;
    /** Jobs published before the worker starts. */
    readonly jobs: number;
    readonly rate: number;
    readonly seconds: number;
    /** The stand-in model's answer time; 0 skips that run. */
    readonly llmLatencyMs: number;
  };
  /** When set, the enhancer worker runs with --cpu-prof and writes its profile here. */
  readonly cpuProfDir: string | undefined;
  readonly amqpUrl: string;
  /** Any database URL on the server; the bench creates (and drops) its own databases beside it. */
  readonly databaseUrl: string;
}

export const usage = `npm run bench -- [options]
  --jobs N               jobs for the throughput run (default 5000)
  --latency-rate R       paced load, jobs per second (default 200)
  --latency-seconds S    paced load duration (default 10)
  --idle-seconds S       idle time before idle RSS is read (default 5)
  --timeout-seconds S    how long a phase may wait for its rows to complete (default 120)
  --concurrency C        WORKER_CONCURRENCY, and the prefetch of the naive and ceiling peers (default 32)
  --prefetch P           the enhancer's WORKER_PREFETCH (default: unset, the worker's default of twice
                         WORKER_CONCURRENCY)
  --tenants T            distinct tenant ids across the jobs (default 1)
  --rounds N             alternate ceiling, naive baseline and enhancer N times; report medians
                         (default 3)
  --skip-baseline        skip the naive baseline (amqplib + pg, pool = prefetch)
  --skip-ceiling         skip the ceiling peer (amqplib consume + ack only, no database)
  --scale N,N,...        scale-out curve: enhancer processes on one queue, each count once per round,
                         --jobs × N jobs each time (default 1,2,4)
  --skip-scale           skip the scale-out curve
  --skip-overhead        skip the observability-overhead runs (quiet and traced variants)
  --skip-ingest          skip the ingest scenario (signed webhook posts through \`enhancer ingest\`)
  --ingest-only          run only the ingest scenario
  --ingest-seconds S     ingest load duration (default 10)
  --ingest-connections C concurrent HTTP connections for the ingest load (default 50)
  --skip-context         skip the context pipeline's run
  --context-only         run only the context pipeline's run
  --context-tenants N    tenants with a generated history (default 2)
  --context-tickets N    past tickets per tenant (default 100000)
  --context-articles N   knowledge-base articles per tenant (default 10000)
  --context-assets N     machines and networks per tenant (default 10000)
  --context-recall N     query tickets per tenant for recall@5 (default 200)
  --context-jobs N       jobs published before the context worker starts (default 3000)
  --context-rate R       paced load on the context worker, jobs per second (default 50)
  --context-seconds S    paced load duration (default 20)
  --llm-latency-ms MS    stand-in model answer time for the slow-model run; 0 skips it (default 500)
  --cpu-prof DIR         run the enhancer worker with node --cpu-prof, profile into DIR
  --amqp-url URL         default: AMQP_URL as enhancer reads it
  --database-url URL     default: DATABASE_URL as enhancer reads it (only its server is used)`;

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      jobs: { type: 'string', default: '5000' },
      'latency-rate': { type: 'string', default: '200' },
      'latency-seconds': { type: 'string', default: '10' },
      'idle-seconds': { type: 'string', default: '5' },
      'timeout-seconds': { type: 'string', default: '120' },
      concurrency: { type: 'string', default: '32' },
      prefetch: { type: 'string' },
      tenants: { type: 'string', default: '1' },
      'skip-baseline': { type: 'boolean', default: false },
      'skip-ceiling': { type: 'boolean', default: false },
      scale: { type: 'string', default: '1,2,4' },
      'skip-scale': { type: 'boolean', default: false },
      'skip-overhead': { type: 'boolean', default: false },
      'skip-ingest': { type: 'boolean', default: false },
      'ingest-only': { type: 'boolean', default: false },
      'ingest-seconds': { type: 'string', default: '10' },
      'ingest-connections': { type: 'string', default: '50' },
      rounds: { type: 'string', default: '3' },
      'skip-context': { type: 'boolean', default: false },
      'context-only': { type: 'boolean', default: false },
      'context-tenants': { type: 'string', default: '2' },
      'context-tickets': { type: 'string', default: '100000' },
      'context-articles': { type: 'string', default: '10000' },
      'context-assets': { type: 'string', default: '10000' },
      'context-recall': { type: 'string', default: '200' },
      'context-jobs': { type: 'string', default: '3000' },
      'context-rate': { type: 'string', default: '50' },
      'context-seconds': { type: 'string', default: '20' },
      'llm-latency-ms': { type: 'string', default: '500' },
      'cpu-prof': { type: 'string' },
      'amqp-url': { type: 'string' },
      'database-url': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  // The service's own configuration supplies the defaults (it is the one place the environment is read).
  const config = loadConfig();
  return {
    jobs: int('jobs', values.jobs, 2),
    latencyRate: int('latency-rate', values['latency-rate'], 1),
    latencySeconds: int('latency-seconds', values['latency-seconds'], 1),
    idleSeconds: int('idle-seconds', values['idle-seconds'], 0),
    timeoutSeconds: int('timeout-seconds', values['timeout-seconds'], 1),
    concurrency: int('concurrency', values.concurrency, 1),
    ...(values.prefetch !== undefined ? { prefetch: int('prefetch', values.prefetch, 1) } : {}),
    tenants: int('tenants', values.tenants, 1),
    skipBaseline: values['skip-baseline'],
    skipCeiling: values['skip-ceiling'],
    scale: values['skip-scale'] ? [] : intList('scale', values.scale, 1, 16),
    skipOverhead: values['skip-overhead'],
    skipIngest: values['skip-ingest'],
    ingestOnly: values['ingest-only'],
    ingestSeconds: int('ingest-seconds', values['ingest-seconds'], 1),
    ingestConnections: int('ingest-connections', values['ingest-connections'], 1),
    rounds: int('rounds', values.rounds, 1),
    context: {
      skip: values['skip-context'],
      only: values['context-only'],
      tenants: int('context-tenants', values['context-tenants'], 1),
      tickets: int('context-tickets', values['context-tickets'], 10),
      articles: int('context-articles', values['context-articles'], 1),
      assets: int('context-assets', values['context-assets'], 1),
      recallQueries: int('context-recall', values['context-recall'], 1),
      jobs: int('context-jobs', values['context-jobs'], 2),
      rate: int('context-rate', values['context-rate'], 1),
      seconds: int('context-seconds', values['context-seconds'], 1),
      llmLatencyMs: int('llm-latency-ms', values['llm-latency-ms'], 0),
    },
    cpuProfDir: values['cpu-prof'],
    amqpUrl: values['amqp-url'] ?? config.amqpUrl,
    databaseUrl: values['database-url'] ?? config.databaseUrl,
  };
}

function int(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
  return n;
}

/** "1,2,4" → [1, 2, 4]: distinct integers in [min, max], ascending. */
export function intList(name: string, raw: string, min: number, max: number): number[] {
  const xs = raw.split(',').map((x) => Number(x.trim()));
  if (!raw.trim() || xs.some((n) => !Number.isInteger(n) || n < min || n > max)) {
    throw new Error(`--${name} must be a comma-separated list of integers in ${min}..${max}, got ${raw}`);
  }
  return [...new Set(xs)].sort((a, b) => a - b);
}
