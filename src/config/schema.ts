import { z } from 'zod';
import type { Backoff, RetryPolicy } from '../domain/retry-policy';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/**
 * Every setting the process reads, with its environment variable name and default.
 * Durations are in milliseconds. Parsed once at start-up by {@link loadConfig}.
 */
export const configSchema = z.object({
  /** AMQP_URL: the RabbitMQ connection string. */
  AMQP_URL: z.string().url().default('amqp://guest:guest@127.0.0.1:5672'),
  /** DATABASE_URL: the Postgres connection string; its path names the database. */
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/enhancer'),
  /** DATABASE_POOL_MAX: connections per process. */
  DATABASE_POOL_MAX: int(1, 100).default(4),
  /** QUEUE_PREFIX: the name every exchange and queue starts with. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/, 'letters, digits, ".", "_" or "-", at most 101')
    .default('enhancement'),
  /** QUEUE_DELIVERY_LIMIT: redeliveries a job survives before it is dead-lettered (crash-loop guard). */
  QUEUE_DELIVERY_LIMIT: int(1, 1000).default(5),
  /** WORKER_CONCURRENCY: jobs run at once by one process; also the AMQP prefetch. */
  WORKER_CONCURRENCY: int(1, 1000).default(8),
  /** JOB_SOFT_TIMEOUT_MS: when the pipeline's AbortSignal fires. */
  JOB_SOFT_TIMEOUT_MS: int(1).default(100_000),
  /** JOB_TIMEOUT_MS: when the attempt is failed as a timeout, whether or not the handler stopped. */
  JOB_TIMEOUT_MS: int(1).default(120_000),
  /** RETRY_MAX: retries after the first attempt for transient failures. */
  RETRY_MAX: int(0, 100).default(3),
  /** RETRY_BASE_MS: the delay before the first retry; it doubles for each one after. */
  RETRY_BASE_MS: int(0).default(2_000),
  /** RETRY_MAX_DELAY_MS: the cap on one retry delay (at most 2^24-1 ms, the retry ladder's reach). */
  RETRY_MAX_DELAY_MS: int(0, 2 ** 24 - 1).default(600_000),
  /** RETRY_JITTER: a retry delay is reduced by a random fraction up to this. */
  RETRY_JITTER: z.coerce.number().min(0).max(1).default(0.2),
  /** AMQP_RECONNECT_BASE_MS: the wait before the first reconnect after the broker connection drops. */
  AMQP_RECONNECT_BASE_MS: int(1).default(500),
  /** AMQP_RECONNECT_MAX_MS: the cap on one wait between reconnects (they go on until shutdown). */
  AMQP_RECONNECT_MAX_MS: int(1).default(30_000),
  /** SUSPECT_POLL_MS: how often an idle worker looks for redelivered jobs waiting to run alone. */
  SUSPECT_POLL_MS: int(10).default(1_000),
  /** SHUTDOWN_GRACE_MS: how long in-flight jobs may finish after SIGTERM. */
  SHUTDOWN_GRACE_MS: int(0).default(130_000),
  /**
   * ENHANCER_PIPELINE: context (similar tickets, knowledge base and IP inventory from Postgres, then a
   * note), placeholder (the original story's behaviour) or simulate (obeys the job's `simulate`).
   */
  ENHANCER_PIPELINE: z.enum(['context', 'placeholder', 'simulate']).default('context'),
  /** CONTEXT_STEP_TIMEOUT_MS: each context step's budget (never past the attempt's soft deadline). */
  CONTEXT_STEP_TIMEOUT_MS: int(1, 600_000).default(5_000),
  /** CONTEXT_SIMILAR_LIMIT: similar resolved tickets on a note, at most. */
  CONTEXT_SIMILAR_LIMIT: int(0, 50).default(5),
  /** CONTEXT_KB_LIMIT: knowledge-base articles on a note, at most. */
  CONTEXT_KB_LIMIT: int(0, 50).default(3),
  /** CONTEXT_ASSET_LIMIT: matched machines on a note, at most. */
  CONTEXT_ASSET_LIMIT: int(0, 100).default(10),
  /** CONTEXT_POOL_MAX: Postgres connections per process for the context reads (apart from history writes). */
  CONTEXT_POOL_MAX: int(1, 100).default(4),
  /** NOTE_MAX_CHARS: the note's length limit, in characters. */
  NOTE_MAX_CHARS: int(200, 100_000).default(4_000),
  /**
   * LLM_BASE_URL: an OpenAI-compatible API (https://api.openai.com/v1, vLLM, Ollama's /v1, llama.cpp's
   * server) that writes the note from the context; unset: the extractive note.
   */
  LLM_BASE_URL: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
  /** LLM_API_KEY: the API key, if the server wants one. Never printed. */
  LLM_API_KEY: z.string().min(1).optional(),
  /** LLM_API_KEY_FILE: a file holding the API key (a mounted Secret); read at start-up. */
  LLM_API_KEY_FILE: z.string().min(1).optional(),
  /** LLM_MODEL: the model name, as the server knows it; required with LLM_BASE_URL. */
  LLM_MODEL: z.string().min(1).max(200).optional(),
  /** LLM_TIMEOUT_MS: one model call's bound (cut further to what is left of the attempt). */
  LLM_TIMEOUT_MS: int(100, 600_000).default(30_000),
  /** LLM_MAX_TOKENS: the longest answer asked for, in tokens. */
  LLM_MAX_TOKENS: int(16, 32_000).default(500),
  /** LLM_TEMPERATURE: sampling temperature; low keeps the note to the facts. */
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.2),
  /** SERVICEDESK_TIMEOUT_MS: one ServiceDesk Plus call's bound (never past the attempt's deadline). */
  SERVICEDESK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** LOG_LEVEL: error, warn, info, debug. */
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  /** LOG_FORMAT: json (one object a line) or pretty (for a terminal). */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** LOG_DESCRIPTION_CHARS: description characters on the `job started` line (cut with "…"); 0 = none. */
  LOG_DESCRIPTION_CHARS: int(0, 65_536).default(0),
  /** HTTP_PORT: /healthz, /readyz and /metrics; 0 picks a free port. */
  HTTP_PORT: int(0, 65535).default(8080),
  /** HEALTH_MAX_LOOP_LAG_MS: /healthz fails while the worst event-loop lag in the window is over this. */
  HEALTH_MAX_LOOP_LAG_MS: int(100).default(10_000),
  /** HEALTH_LAG_WINDOW_MS: how long a lag is remembered, so a probe answered after a block still sees it. */
  HEALTH_LAG_WINDOW_MS: int(1_000).default(30_000),
  /** HEALTH_MAX_ABANDONED: /healthz fails while more abandoned handlers (timed out, still running) remain. */
  HEALTH_MAX_ABANDONED: int(0, 10_000).default(4),
  /** METRICS_MAX_TENANTS: distinct tenant_id labels; later tenants are counted as "other". */
  METRICS_MAX_TENANTS: int(0, 100_000).default(1_000),
  /** INGEST_PORT: `enhancer ingest`'s webhook, /healthz, /readyz and /metrics; 0 picks a free port. */
  INGEST_PORT: int(0, 65535).default(8000),
  /** TENANTS_FILE: JSON file of tenants and their webhook secrets; required by `enhancer ingest`. */
  TENANTS_FILE: z.string().min(1).optional(),
  /** INGEST_RATE_PER_TENANT: webhook requests per second one tenant may make (token bucket refill). */
  INGEST_RATE_PER_TENANT: z.coerce.number().positive().max(1_000_000).default(50),
  /** INGEST_RATE_BURST: the bucket's size, requests one tenant may make at once; default = the rate. */
  INGEST_RATE_BURST: int(1, 1_000_000).optional(),
  /** INGEST_DEDUP_SECONDS: a ticket posted again within this gets the first job_id; 0 = no dedup. */
  INGEST_DEDUP_SECONDS: int(0, 86_400).default(300),
  /** INGEST_MAX_SKEW_SECONDS: how far a signed X-Timestamp may be from now (replay bound). */
  INGEST_MAX_SKEW_SECONDS: int(1, 86_400).default(300),
  /** POD_NAME: stamped on every log line; the hostname when unset. Also the lease holder and Event source. */
  POD_NAME: z.string().min(1).optional(),
  /** KUBERNETES_SERVICE_HOST: set by Kubernetes in every pod; its presence means "in a cluster". */
  KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
  /** LEADER_ELECTION: auto (on in a cluster), true or false: the Lease, its janitor and dead-letter Events. */
  LEADER_ELECTION: z.enum(['auto', 'true', 'false']).default('auto'),
  /** POD_NAMESPACE: the pod's namespace (downward API); unset: the service account's, else `default`. */
  POD_NAMESPACE: z.string().min(1).optional(),
  /** POD_UID: the pod's uid (downward API metadata.uid), so `kubectl describe pod` lists its Events. */
  POD_UID: z.string().min(1).optional(),
  /** LEASE_NAME: the coordination.k8s.io/v1 Lease the workers elect the janitor's leader with. */
  LEASE_NAME: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a DNS subdomain name')
    .default('enhancer-janitor'),
  /** LEASE_DURATION_MS: how long others wait after the last renewal they saw before taking the lease. */
  LEASE_DURATION_MS: int(1_000).default(15_000),
  /** LEASE_RENEW_DEADLINE_MS: the leader steps down when no renewal succeeded for this long. */
  LEASE_RENEW_DEADLINE_MS: int(100).default(10_000),
  /** LEASE_RETRY_MS: how often a candidate tries to acquire, and the leader to renew. */
  LEASE_RETRY_MS: int(10).default(2_000),
  /** JANITOR_INTERVAL_MS: how often the leader marks abandoned pending rows as failed. */
  JANITOR_INTERVAL_MS: int(1_000).default(60_000),
  /** JANITOR_MARGIN_MS: added to the longest legitimate pending time before a row counts as abandoned. */
  JANITOR_MARGIN_MS: int(0).default(300_000),
  /** EVENTS_PER_MINUTE: JobDeadLettered Events a pod posts per minute at most (a token bucket); 0 = none. */
  EVENTS_PER_MINUTE: int(0, 6_000).default(10),
  /** EVENTS_BURST: Events a pod may post at once before EVENTS_PER_MINUTE paces them. */
  EVENTS_BURST: int(1, 1_000).default(10),
  // Traces use the standard OTEL_* names. These five decide whether tracing is on and name the service;
  // the SDK reads the others itself (sampler, protocol, headers, batch sizes: the library's contract).
  /** OTEL_SDK_DISABLED: `true` turns tracing off whatever else is set. */
  OTEL_SDK_DISABLED: z.string().optional(),
  /** OTEL_TRACES_EXPORTER: otlp, zipkin, console or none (comma-separated); unset: otlp if an endpoint is. */
  OTEL_TRACES_EXPORTER: z
    .string()
    .regex(/^(otlp|zipkin|console|none)( *, *(otlp|zipkin|console|none))*$/, 'otlp, zipkin, console or none')
    .optional(),
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; setting it turns tracing on. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the collector's URL for traces only; also turns tracing on. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  /** OTEL_SERVICE_NAME: `service.name` on every span. */
  OTEL_SERVICE_NAME: z.string().min(1).default('enhancer'),
  // Bounds on every network call, so a silent peer (a partition: no FIN, no RST) is noticed in time.
  /** DATABASE_CONNECT_TIMEOUT_MS: opening one Postgres connection, TCP through authentication. Default 5000. */
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 600_000).default(5_000),
  /**
   * DATABASE_QUERY_TIMEOUT_MS: Postgres cancels a statement of the worker's running longer (server
   * side, `statement_timeout`); a write whose answer has not come 1 s after that fails and its
   * connection is destroyed (client side). Default 5000.
   */
  DATABASE_QUERY_TIMEOUT_MS: int(100, 3_600_000).default(5_000),
  /** MIGRATION_QUERY_TIMEOUT_MS: the same bound for `enhancer migrate`'s statements (DDL on big tables). Default 300000. */
  MIGRATION_QUERY_TIMEOUT_MS: int(1_000, 86_400_000).default(300_000),
  /** TCP_KEEPALIVE_MS: idle time before TCP keepalive probes on Postgres and AMQP sockets. Default 10000. */
  TCP_KEEPALIVE_MS: int(1_000, 3_600_000).default(10_000),
  /** AMQP_HEARTBEAT_S: the heartbeat asked of the broker; one silent for 2 of them is dropped. Default 5. */
  AMQP_HEARTBEAT_S: int(1, 60).default(5),
  /** AMQP_CONNECT_TIMEOUT_MS: opening a broker connection, TCP through the AMQP handshake. Default 10000. */
  AMQP_CONNECT_TIMEOUT_MS: int(100, 600_000).default(10_000),
  /** WAIT_OUT_MAX_MS: the cap on one wait-out delay, which grows while an outage lasts. Default 30000. */
  WAIT_OUT_MAX_MS: int(1_000, 2 ** 24 - 1).default(30_000),
  /** READY_MAX_WRITE_STALL_MS: /readyz fails while history writes have been pending or failing this long. Default 10000. */
  READY_MAX_WRITE_STALL_MS: int(100).default(10_000),
  /** HEALTH_MAX_WRITE_PENDING_MS: /healthz fails while one history write has been pending this long. Default 60000. */
  HEALTH_MAX_WRITE_PENDING_MS: int(1_000).default(60_000),
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
