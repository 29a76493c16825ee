import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TenantLabels } from './tenant-labels.js';

/** The outcome of one attempt, or of a message that never ran. */
export type TaskStatus = 'completed' | 'retried' | 'failed' | 'dead_lettered';

/**
 * The worker's Prometheus metrics. It owns its Registry (never the global one), so tests and several
 * workers in one process each see their own numbers.
 */
export class WorkerMetrics {
  readonly registry = new Registry();

  readonly tasks = new Counter({
    name: 'enhancement_tasks_total',
    help: 'Finished attempts and never-run messages by outcome: completed, retried (failed, retry scheduled), failed (failed, dead-lettered), dead_lettered (never ran: invalid or over the delivery limit).',
    labelNames: ['status', 'tenant_id'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'enhancement_task_duration_seconds',
    help: 'Pipeline time of one attempt.',
    labelNames: ['status', 'tenant_id'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 90, 120],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'enhancement_task_retries_total',
    help: 'Retries scheduled through the delay ladder.',
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'enhancement_dead_letters_total',
    help: 'Messages this worker moved to the dead-letter queue, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'enhancement_tasks_in_flight',
    help: 'Jobs being processed now.',
    registers: [this.registry],
  });
  readonly abandoned = new Counter({
    name: 'enhancement_abandoned_attempts_total',
    help: 'Attempts given up at the hard deadline while their handler was still running.',
    registers: [this.registry],
  });
  readonly abandonedRunning = new Gauge({
    name: 'enhancement_abandoned_attempts_running',
    help: 'Abandoned handlers that have not settled yet.',
    registers: [this.registry],
  });
  /** The gauge's value as a plain number, for the liveness probe (prom-client reads are async). */
  private abandonedNow = 0;
  readonly duplicates = new Counter({
    name: 'enhancement_duplicate_deliveries_total',
    help: 'Deliveries of jobs that had already completed or failed; acked without running.',
    registers: [this.registry],
  });
  readonly suspects = new Counter({
    name: 'enhancement_suspect_jobs_total',
    help: 'Redelivered jobs moved aside to run alone.',
    registers: [this.registry],
  });
  readonly waitOuts = new Counter({
    name: 'enhancement_infrastructure_delays_total',
    help: 'Jobs delayed without spending a retry because something failed under them, by cause: postgres (history writes), shutdown (aborted by a stop), other.',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly waitOutDelay = new Gauge({
    name: 'enhancement_infrastructure_delay_seconds',
    help: 'The last wait-out delay chosen, by cause: it grows while an outage lasts, up to WAIT_OUT_MAX_MS.',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly janitorAbandoned = new Counter({
    name: 'enhancement_janitor_abandoned_total',
    help: 'Pending rows the leader janitor marked failed ("abandoned by the janitor: ..."): pending past the longest legitimate time (a broker-side dead letter, or a backlog longer than JANITOR_MARGIN_MS).',
    registers: [this.registry],
  });
  readonly eventsSuppressed = new Counter({
    name: 'enhancement_k8s_events_suppressed_total',
    help: 'JobDeadLettered Kubernetes Events not posted because of the rate limit (folded into the next one).',
    registers: [this.registry],
  });

  readonly stepDuration = new Histogram({
    name: 'enhancement_step_duration_seconds',
    help: 'Time of one context step (similar_tickets, kb_articles, ip_assets) by how it ended: ok, timeout, error.',
    labelNames: ['step', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly llmRequests = new Counter({
    name: 'enhancement_llm_requests_total',
    help: 'Language-model calls by outcome: ok, or why the extractive note was used instead (timeout, rate_limited, server_error, connection, auth, not_found, bad_request, empty, error).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly llmTokens = new Counter({
    name: 'enhancement_llm_tokens_total',
    help: 'Tokens the language model reported, by kind: prompt or completion.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly writebacks = new Counter({
    name: 'enhancement_writeback_total',
    help: 'Write-backs of notes to the helpdesk by outcome: posted, adopted (an earlier attempt had posted it), already_posted, skipped (no helpdesk configured), busy, or the failure (rate_limited, server_error, connection, timeout, ambiguous, auth, not_found, rejected).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly tenantLabels: TenantLabels;

  constructor(maxTenants = 1000, defaults = true) {
    this.tenantLabels = new TenantLabels(maxTenants);
    if (defaults) collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start: an alert on increase() then sees the first event, too.
    for (const outcome of ['ok', 'timeout', 'rate_limited', 'server_error', 'auth', 'not_found']) {
      this.llmRequests.inc({ outcome }, 0);
    }
    for (const outcome of ['posted', 'adopted', 'skipped', 'auth', 'not_found', 'rejected', 'server_error']) {
      this.writebacks.inc({ outcome }, 0);
    }
  }

  /** The tenant's metric label: its id for the first `maxTenants` tenants, then "other". */
  tenant(id: string | undefined): string {
    return this.tenantLabels.of(id);
  }

  /** The hard deadline gave up on an attempt whose handler is still running. */
  attemptAbandoned(): void {
    this.abandoned.inc();
    this.abandonedRunning.inc();
    this.abandonedNow++;
  }

  /** An abandoned handler settled at last. */
  abandonedSettled(): void {
    this.abandonedRunning.dec();
    this.abandonedNow--;
  }

  /** Abandoned handlers that have not settled yet. */
  get abandonedStillRunning(): number {
    return this.abandonedNow;
  }

  /** A language-model call ended (the `LlmMetrics` port of the synthesis). */
  llmRequest(outcome: string): void {
    this.llmRequests.inc({ outcome });
  }

  llmTokensUsed(kind: 'prompt' | 'completion', count: number): void {
    if (count > 0) this.llmTokens.inc({ kind }, count);
  }

  /** A write-back ended (the `WritebackMetrics` port). */
  writeback(outcome: string): void {
    this.writebacks.inc({ outcome });
  }

  /** One context step ended (the `StepMetrics` port of the context pipeline). */
  observeStep(step: string, status: string, seconds: number): void {
    this.stepDuration.observe({ step, status }, seconds);
  }

  /** A job was delayed by `delayMs` without spending a retry. */
  waitedOut(cause: string, delayMs: number): void {
    this.waitOuts.inc({ cause });
    this.waitOutDelay.set({ cause }, delayMs / 1000);
  }

  attempt(status: TaskStatus, tenantId: string | undefined, seconds?: number): void {
    const tenant_id = this.tenant(tenantId);
    this.tasks.inc({ status, tenant_id });
    if (seconds !== undefined) this.duration.observe({ status, tenant_id }, seconds);
  }
}
