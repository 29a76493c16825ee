import { z } from 'zod';
import type { Backoff, RetryPolicy } from '../domain/retry-policy.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/**
 * Every setting the process reads, with its environment variable name and default.
 * Durations are in milliseconds. Parsed once at start-up by {@link loadConfig}.
 */
export const configSchema = z.object({
  AMQP_URL: z
    .string()
    .url()
    .default('amqp://guest:guest@127.0.0.1:5672')
    .describe('RabbitMQ connection string.'),
  DATABASE_URL: z
    .string()
    .url()
    .default('postgres://postgres@127.0.0.1:5432/enhancer')
    .describe('Postgres connection string; its path names the database.'),
  DATABASE_POOL_MAX: int(1, 100).default(4).describe('Postgres connections per process.'),
  QUEUE_PREFIX: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/,
      'up to 101 letters, digits, ".", "_" or "-", not starting with ".", "_" or "-"',
    )
    .default('enhancement')
    .describe('The name every exchange and queue starts with.'),
  QUEUE_DELIVERY_LIMIT: int(1, 1000)
    .default(5)
    .describe('Redeliveries a job survives before it is dead-lettered (a crash-loop guard).'),
  WORKER_CONCURRENCY: int(1, 1000).default(8).describe('Jobs one process runs at once.'),
  WORKER_PREFETCH: int(1, 2000)
    .optional()
    .describe(
      'Jobs one process holds from the broker, at least WORKER_CONCURRENCY: those past it wait in hand, so a freed slot starts the next job at once. Unset: twice WORKER_CONCURRENCY. For jobs of many seconds, set it to WORKER_CONCURRENCY (docs/failure-semantics.md, "Jobs held in hand").',
    ),
  JOB_SOFT_TIMEOUT_MS: int(1).default(100_000).describe("When the pipeline's AbortSignal fires."),
  JOB_TIMEOUT_MS: int(1)
    .default(120_000)
    .describe('When the attempt is failed as a timeout, whether or not the pipeline stopped.'),
  RETRY_MAX: int(0, 100).default(3).describe('Retries after the first attempt for transient failures.'),
  RETRY_BASE_MS: int(0).default(2_000).describe('Delay before the first retry; doubles for each one after.'),
  RETRY_MAX_DELAY_MS: int(0, 2 ** 24 - 1)
    .default(600_000)
    .describe("Cap on one retry delay (at most 2^24−1 ms, the retry ladder's reach)."),
  RETRY_JITTER: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.2)
    .describe('A retry delay is reduced by a random fraction up to this.'),
  AMQP_RECONNECT_BASE_MS: int(1)
    .default(500)
    .describe('Wait before the first reconnect after the broker connection drops; doubles per failed try.'),
  AMQP_RECONNECT_MAX_MS: int(1)
    .default(30_000)
    .describe('Cap on one wait between reconnects, less up to half at random; tries go on until shutdown.'),
  SUSPECT_POLL_MS: int(10)
    .default(1_000)
    .describe('How often an idle worker looks for redelivered jobs waiting to run alone.'),
  SHUTDOWN_GRACE_MS: int(0).default(130_000).describe('How long in-flight jobs may finish after SIGTERM.'),
  ENHANCER_PIPELINE: z
    .enum(['context', 'placeholder', 'simulate'])
    .default('context')
    .describe(
      "`context` (gathers the ticket's context, writes a note and puts it on the ticket: docs/enhancement.md), `placeholder` (a fixed result, no reads) or `simulate` (obeys the job's `simulate`, for failure drills).",
    ),
  CONTEXT_STEP_TIMEOUT_MS: int(1, 600_000)
    .default(5_000)
    .describe("Each context step's budget (never past the attempt's soft deadline)."),
  CONTEXT_SIMILAR_LIMIT: int(0, 50).default(5).describe('Similar resolved tickets on a note, at most.'),
  CONTEXT_KB_LIMIT: int(0, 50).default(3).describe('Knowledge-base articles on a note, at most.'),
  CONTEXT_ASSET_LIMIT: int(0, 100).default(10).describe('Matched machines on a note, at most.'),
  CONTEXT_POOL_MAX: int(1, 100)
    .default(4)
    .describe('Postgres connections per process for the context reads (apart from history writes).'),
  NOTE_MAX_CHARS: int(200, 100_000).default(4_000).describe("The note's length limit, in characters."),
  LLM_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL' })
    .optional()
    .describe(
      "An OpenAI-compatible API (https://api.openai.com/v1, vLLM, Ollama's /v1, llama.cpp's server) that writes the note from the context; unset: the extractive note.",
    ),
  LLM_API_KEY: z.string().min(1).optional().describe('The API key, if the server wants one. Never printed.'),
  LLM_API_KEY_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('A file holding the API key (a mounted Secret); read at start-up.'),
  LLM_MODEL: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The model name, as the server knows it; required with LLM_BASE_URL.'),
  LLM_TIMEOUT_MS: int(100, 600_000)
    .default(30_000)
    .describe("One model call's bound (cut further to what is left of the attempt)."),
  LLM_MAX_TOKENS: int(16, 32_000).default(500).describe('The longest answer asked for, in tokens.'),
  LLM_TEMPERATURE: z.coerce
    .number()
    .min(0)
    .max(2)
    .default(0.2)
    .describe('Sampling temperature; low keeps the note to the facts.'),
  SERVICEDESK_TIMEOUT_MS: int(100, 120_000)
    .default(10_000)
    .describe("One ServiceDesk Plus call's bound (never past the attempt's deadline)."),
  LOG_LEVEL: z
    .enum(['error', 'warn', 'info', 'debug'])
    .default('info')
    .describe('`error`, `warn`, `info` or `debug`.'),
  LOG_FORMAT: z
    .enum(['json', 'pretty'])
    .default('json')
    .describe('`json` (one object a line on stdout) or `pretty` (for a terminal).'),
  LOG_DESCRIPTION_CHARS: int(0, 65_536)
    .default(0)
    .describe(
      'Characters of the ticket description on the `job started` line, cut with `…`; 0 leaves it out (it is never logged anywhere else).',
    ),
  HTTP_PORT: int(0, 65535)
    .default(8080)
    .describe('Port of `/healthz`, `/readyz` and `/metrics`; 0 picks a free port.'),
  HEALTH_MAX_LOOP_LAG_MS: int(100)
    .default(10_000)
    .describe('`/healthz` fails while the worst event-loop lag in the window is over this.'),
  HEALTH_LAG_WINDOW_MS: int(1_000)
    .default(30_000)
    .describe('How long a lag is remembered, so a probe answered right after a block still sees it.'),
  HEALTH_MAX_ABANDONED: int(0, 10_000)
    .default(4)
    .describe('`/healthz` fails while more than this many timed-out handlers are still running.'),
  METRICS_MAX_TENANTS: int(0, 100_000)
    .default(1_000)
    .describe('Distinct `tenant_id` metric labels; later tenants are counted as `other`.'),
  INGEST_PORT: int(0, 65535)
    .default(8000)
    .describe("`enhancer ingest`'s webhook, `/healthz`, `/readyz` and `/metrics`."),
  TENANTS_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('JSON file of tenants, their webhook secrets and ServiceDesk Plus, reloaded when it changes.'),
  INGEST_RATE_PER_TENANT: z.coerce
    .number()
    .positive()
    .max(1_000_000)
    .default(50)
    .describe('Webhook requests per second one tenant may make (token bucket).'),
  INGEST_RATE_BURST: int(1, 1_000_000).optional().describe("The bucket's size."),
  INGEST_DEDUP_SECONDS: int(0, 86_400)
    .default(300)
    .describe('A ticket posted again within this gets the first `job_id` and is queued once; 0: off.'),
  INGEST_MAX_SKEW_SECONDS: int(1, 86_400)
    .default(300)
    .describe('How far a signed `X-Timestamp` may be from now.'),
  POD_NAME: z
    .string()
    .min(1)
    .optional()
    .describe('Stamped on every log line; names the broker connection (`enhancer-worker <pod>`).'),
  KUBERNETES_SERVICE_HOST: z
    .string()
    .min(1)
    .optional()
    .describe('Set by Kubernetes in every pod; its presence means "in a cluster".'),
  LEADER_ELECTION: z
    .enum(['auto', 'true', 'false'])
    .default('auto')
    .describe(
      '`auto` (on when `KUBERNETES_SERVICE_HOST` is set), `true` or `false`: the Lease, its janitor and dead-letter Events.',
    ),
  POD_NAMESPACE: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The pod's namespace, for the Lease and the Events; unset: the service account's, else `default`.",
    ),
  POD_UID: z
    .string()
    .min(1)
    .optional()
    .describe("The pod's uid (downward API `metadata.uid`), so `kubectl describe pod` lists its Events."),
  LEASE_NAME: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a DNS subdomain name')
    .default('enhancer-janitor')
    .describe("The `coordination.k8s.io/v1` Lease the workers elect the janitor's leader with."),
  LEASE_DURATION_MS: int(1_000)
    .default(15_000)
    .describe('How long others wait after the last renewal they saw before taking the Lease.'),
  LEASE_RENEW_DEADLINE_MS: int(100)
    .default(10_000)
    .describe('The leader steps down when no renewal succeeded for this long (below the duration).'),
  LEASE_RETRY_MS: int(10)
    .default(2_000)
    .describe('How often a candidate tries to acquire, and the leader renews (below the renew deadline).'),
  JANITOR_INTERVAL_MS: int(1_000)
    .default(60_000)
    .describe('How often the leader marks abandoned pending rows `failed`.'),
  JANITOR_MARGIN_MS: int(0)
    .default(300_000)
    .describe('Added to the longest legitimate pending time before a row counts as abandoned.'),
  EVENTS_PER_MINUTE: int(0, 6_000)
    .default(10)
    .describe('`JobDeadLettered` Events a pod posts per minute at most; 0: none.'),
  EVENTS_BURST: int(1, 1_000).default(10).describe('Events a pod may post at once before the rate applies.'),
  // Traces use the standard OTEL_* names. These five decide whether tracing is on and name the service;
  // the SDK reads the others itself (sampler, protocol, headers, batch sizes: the library's contract).
  OTEL_SDK_DISABLED: z.string().optional().describe('`true` turns tracing off whatever else is set.'),
  OTEL_TRACES_EXPORTER: z
    .string()
    .regex(/^(otlp|zipkin|console|none)( *, *(otlp|zipkin|console|none))*$/, 'otlp, zipkin, console or none')
    .optional()
    .describe('`otlp`, `zipkin`, `console` or `none`; any but `none` turns tracing on.'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .url()
    .optional()
    .describe('The OTLP collector; setting it (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) turns tracing on.'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .string()
    .url()
    .optional()
    .describe("The collector's URL for traces only; also turns tracing on."),
  OTEL_SERVICE_NAME: z.string().min(1).default('enhancer').describe('`service.name` on every span.'),
  // Bounds on every network call, so a silent peer (a partition: no FIN, no RST) is noticed in time.
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 600_000)
    .default(5_000)
    .describe('Opening one Postgres connection, TCP through authentication.'),
  DATABASE_QUERY_TIMEOUT_MS: int(100, 3_600_000)
    .default(5_000)
    .describe(
      'Postgres cancels a worker statement running longer (`statement_timeout`); the worker gives up on an answer 1 s after that.',
    ),
  MIGRATION_QUERY_TIMEOUT_MS: int(1_000, 86_400_000)
    .default(300_000)
    .describe('The same bound for the statements of `enhancer migrate`.'),
  TCP_KEEPALIVE_MS: int(1_000, 3_600_000)
    .default(10_000)
    .describe('Idle time before TCP keepalive probes on Postgres and broker sockets.'),
  AMQP_HEARTBEAT_S: int(1, 60)
    .default(5)
    .describe('Heartbeat asked of the broker; a broker silent for 2 of them is dropped and reconnected to.'),
  AMQP_CONNECT_TIMEOUT_MS: int(100, 600_000)
    .default(10_000)
    .describe('Opening a broker connection, TCP through the AMQP handshake.'),
  WAIT_OUT_MAX_MS: int(1_000, 2 ** 24 - 1)
    .default(30_000)
    .describe('Cap on one wait-out delay; they grow while an outage lasts (docs/failure-semantics.md).'),
  READY_MAX_WRITE_STALL_MS: int(100)
    .default(10_000)
    .describe('`/readyz` fails while history writes have been pending or failing this long.'),
  HEALTH_MAX_WRITE_PENDING_MS: int(1_000)
    .default(60_000)
    .describe(
      '`/healthz` fails while one history write has been pending this long (its own bounds failed: a restart helps).',
    ),
});

type Raw = z.output<typeof configSchema>;

/** The validated configuration, in the shape the code uses. */
export interface Config {
  readonly amqpUrl: string;
  readonly databaseUrl: string;
  readonly databasePoolMax: number;
  readonly queuePrefix: string;
  readonly deliveryLimit: number;
  readonly concurrency: number;
  /** WORKER_PREFETCH: deliveries held at once, running or waiting for a slot (≥ concurrency). */
  readonly prefetch: number;
  readonly softTimeoutMs: number;
  readonly hardTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** Waits between broker reconnects. */
  readonly reconnect: Backoff;
  readonly suspectPollMs: number;
  readonly shutdownGraceMs: number;
  readonly pipeline: Raw['ENHANCER_PIPELINE'];
  /** The `context` pipeline: step budget, how much of each kind a note shows, its read pool. */
  readonly context: {
    readonly stepTimeoutMs: number;
    readonly limits: { readonly similar: number; readonly kb: number; readonly assets: number };
    readonly poolMax: number;
    readonly noteMaxChars: number;
  };
  /** The language model that writes notes; absent: notes are extractive. */
  readonly llm?: {
    readonly baseUrl: string;
    readonly apiKey?: string;
    readonly apiKeyFile?: string;
    readonly model: string;
    readonly timeoutMs: number;
    readonly maxTokens: number;
    readonly temperature: number;
  };
  /** Write-back to each tenant's ServiceDesk Plus (configured per tenant in TENANTS_FILE). */
  readonly servicedesk: { readonly timeoutMs: number };
  readonly log: {
    readonly level: Raw['LOG_LEVEL'];
    readonly format: Raw['LOG_FORMAT'];
    readonly pod?: string;
    /** Characters of the description on the `job started` line; 0 = none. */
    readonly descriptionChars: number;
  };
  readonly httpPort: number;
  /** Liveness bounds: past either, /healthz answers 503 and the kubelet restarts the pod. */
  readonly health: {
    readonly maxLoopLagMs: number;
    readonly lagWindowMs: number;
    readonly maxAbandoned: number;
  };
  readonly metricsMaxTenants: number;
  /** Operator-style extras, loaded only when `enabled` (in a cluster, or LEADER_ELECTION=true). */
  readonly cluster: ClusterConfig;
  /** `enhancer ingest`, the signed webhook. */
  readonly ingest: {
    readonly port: number;
    readonly tenantsFile?: string;
    /** Token bucket per tenant: refill per second, and size. */
    readonly ratePerSecond: number;
    readonly burst: number;
    /** 0: every post is a new job. */
    readonly dedupMs: number;
    readonly maxSkewMs: number;
  };
  /** What decides whether traces are exported; `tracingEnabled` in src/observability/tracing.ts reads it. */
  readonly tracing: {
    readonly serviceName: string;
    readonly sdkDisabled: boolean;
    /** OTEL_TRACES_EXPORTER as a list; empty when unset. */
    readonly exporters: readonly string[];
    /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT. */
    readonly otlpEndpoint?: string;
  };
  /** Bounds on Postgres connections and statements. */
  readonly db: DbBounds;
  /** Bounds on broker connections. */
  readonly amqp: AmqpBounds;
  /** History writes that stall: first not ready, then not live (the kubelet restarts the pod). */
  readonly writeStall: { readonly readyMs: number; readonly liveMs: number };
  /** The cap on one wait-out delay (they grow from the first retry delay while an outage lasts). */
  readonly waitOutMaxMs: number;
}

export interface DbBounds {
  readonly connectTimeoutMs: number;
  /** Server-side statement_timeout of the worker's statements; the client gives up 1 s later. */
  readonly statementTimeoutMs: number;
  /** The same for `enhancer migrate`. */
  readonly migrationTimeoutMs: number;
  readonly keepAliveMs: number;
}

export interface AmqpBounds {
  readonly heartbeatS: number;
  readonly connectTimeoutMs: number;
  readonly keepAliveMs: number;
}

export interface ClusterConfig {
  readonly enabled: boolean;
  /** Lease holder identity and the Pod that Events are about; POD_NAME, else the hostname. */
  readonly podName?: string;
  /** POD_NAMESPACE; unset: read from the service account at start-up. */
  readonly namespace?: string;
  readonly podUid?: string;
  readonly lease: {
    readonly name: string;
    readonly durationMs: number;
    readonly renewDeadlineMs: number;
    readonly retryMs: number;
  };
  readonly janitor: { readonly intervalMs: number; readonly marginMs: number };
  readonly events: { readonly perMinute: number; readonly burst: number };
}

export function compile(raw: Raw): Config {
  return Object.freeze({
    amqpUrl: raw.AMQP_URL,
    databaseUrl: raw.DATABASE_URL,
    databasePoolMax: raw.DATABASE_POOL_MAX,
    queuePrefix: raw.QUEUE_PREFIX,
    deliveryLimit: raw.QUEUE_DELIVERY_LIMIT,
    concurrency: raw.WORKER_CONCURRENCY,
    prefetch: raw.WORKER_PREFETCH ?? 2 * raw.WORKER_CONCURRENCY,
    softTimeoutMs: raw.JOB_SOFT_TIMEOUT_MS,
    hardTimeoutMs: raw.JOB_TIMEOUT_MS,
    retry: Object.freeze({
      maxRetries: raw.RETRY_MAX,
      baseMs: raw.RETRY_BASE_MS,
      maxDelayMs: raw.RETRY_MAX_DELAY_MS,
      jitter: raw.RETRY_JITTER,
    }),
    reconnect: Object.freeze({
      baseMs: raw.AMQP_RECONNECT_BASE_MS,
      maxDelayMs: Math.max(raw.AMQP_RECONNECT_BASE_MS, raw.AMQP_RECONNECT_MAX_MS),
      jitter: 0.5,
    }),
    suspectPollMs: raw.SUSPECT_POLL_MS,
    shutdownGraceMs: raw.SHUTDOWN_GRACE_MS,
    pipeline: raw.ENHANCER_PIPELINE,
    context: Object.freeze({
      stepTimeoutMs: raw.CONTEXT_STEP_TIMEOUT_MS,
      limits: Object.freeze({
        similar: raw.CONTEXT_SIMILAR_LIMIT,
        kb: raw.CONTEXT_KB_LIMIT,
        assets: raw.CONTEXT_ASSET_LIMIT,
      }),
      poolMax: raw.CONTEXT_POOL_MAX,
      noteMaxChars: raw.NOTE_MAX_CHARS,
    }),
    ...(raw.LLM_BASE_URL
      ? {
          llm: Object.freeze({
            baseUrl: raw.LLM_BASE_URL,
            apiKey: raw.LLM_API_KEY,
            apiKeyFile: raw.LLM_API_KEY_FILE,
            model: raw.LLM_MODEL ?? '',
            timeoutMs: raw.LLM_TIMEOUT_MS,
            maxTokens: raw.LLM_MAX_TOKENS,
            temperature: raw.LLM_TEMPERATURE,
          }),
        }
      : {}),
    servicedesk: Object.freeze({ timeoutMs: raw.SERVICEDESK_TIMEOUT_MS }),
    log: Object.freeze({
      level: raw.LOG_LEVEL,
      format: raw.LOG_FORMAT,
      pod: raw.POD_NAME,
      descriptionChars: raw.LOG_DESCRIPTION_CHARS,
    }),
    httpPort: raw.HTTP_PORT,
    health: Object.freeze({
      maxLoopLagMs: raw.HEALTH_MAX_LOOP_LAG_MS,
      lagWindowMs: raw.HEALTH_LAG_WINDOW_MS,
      maxAbandoned: raw.HEALTH_MAX_ABANDONED,
    }),
    metricsMaxTenants: raw.METRICS_MAX_TENANTS,
    cluster: Object.freeze({
      enabled:
        raw.LEADER_ELECTION === 'true' ||
        (raw.LEADER_ELECTION === 'auto' && raw.KUBERNETES_SERVICE_HOST !== undefined),
      podName: raw.POD_NAME,
      namespace: raw.POD_NAMESPACE,
      podUid: raw.POD_UID,
      lease: Object.freeze({
        name: raw.LEASE_NAME,
        durationMs: raw.LEASE_DURATION_MS,
        renewDeadlineMs: raw.LEASE_RENEW_DEADLINE_MS,
        retryMs: raw.LEASE_RETRY_MS,
      }),
      janitor: Object.freeze({ intervalMs: raw.JANITOR_INTERVAL_MS, marginMs: raw.JANITOR_MARGIN_MS }),
      events: Object.freeze({ perMinute: raw.EVENTS_PER_MINUTE, burst: raw.EVENTS_BURST }),
    }),
    ingest: Object.freeze({
      port: raw.INGEST_PORT,
      tenantsFile: raw.TENANTS_FILE,
      ratePerSecond: raw.INGEST_RATE_PER_TENANT,
      burst: raw.INGEST_RATE_BURST ?? Math.max(1, Math.ceil(raw.INGEST_RATE_PER_TENANT)),
      dedupMs: raw.INGEST_DEDUP_SECONDS * 1000,
      maxSkewMs: raw.INGEST_MAX_SKEW_SECONDS * 1000,
    }),
    tracing: Object.freeze({
      serviceName: raw.OTEL_SERVICE_NAME,
      sdkDisabled: raw.OTEL_SDK_DISABLED?.toLowerCase() === 'true',
      exporters: Object.freeze(raw.OTEL_TRACES_EXPORTER?.split(/ *, */) ?? []),
      otlpEndpoint: raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? raw.OTEL_EXPORTER_OTLP_ENDPOINT,
    }),
    db: Object.freeze({
      connectTimeoutMs: raw.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: raw.DATABASE_QUERY_TIMEOUT_MS,
      migrationTimeoutMs: raw.MIGRATION_QUERY_TIMEOUT_MS,
      keepAliveMs: raw.TCP_KEEPALIVE_MS,
    }),
    amqp: Object.freeze({
      heartbeatS: raw.AMQP_HEARTBEAT_S,
      connectTimeoutMs: raw.AMQP_CONNECT_TIMEOUT_MS,
      keepAliveMs: raw.TCP_KEEPALIVE_MS,
    }),
    writeStall: Object.freeze({
      readyMs: raw.READY_MAX_WRITE_STALL_MS,
      liveMs: raw.HEALTH_MAX_WRITE_PENDING_MS,
    }),
    waitOutMaxMs: raw.WAIT_OUT_MAX_MS,
  });
}

/** Every default, compiled: for dev tools and tests that open connections without a loaded config. */
export const DEFAULTS: Config = compile(configSchema.parse({}));
