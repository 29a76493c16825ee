import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Clock } from '../../lib/clock.js';
import { InfrastructureError, TransientError } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';
import type { EnhanceContext } from '../enhancer.js';
import { extractAddresses, hostnameCandidates } from './addresses.js';
import { runStep, type StepOutcome } from './run-step.js';
import { MAX_SEARCH_CHARS, plainText, subjectProbe } from './text.js';
import {
  STEP_NAMES,
  type Context,
  type ContextStore,
  type ReadOptions,
  type StepName,
  type StepReport,
  type StepStatus,
  type TicketQuery,
} from './types.js';

/** Where per-step timings go (`enhancement_step_duration_seconds{step,status}`). */
export interface StepMetrics {
  observeStep(step: StepName, status: StepStatus, seconds: number): void;
}

export interface GatherOptions {
  readonly store: ContextStore;
  readonly clock: Clock;
  /** CONTEXT_STEP_TIMEOUT_MS: each step's budget, never past the attempt's soft deadline. */
  readonly stepTimeoutMs: number;
  readonly limits: { readonly similar: number; readonly kb: number; readonly assets: number };
  readonly metrics?: StepMetrics;
}

export interface Gathered {
  readonly context: Context;
  readonly steps: Readonly<Record<StepName, StepReport>>;
}

/**
 * The three context steps, run concurrently, each under its own budget. A step that fails or runs
 * out of time is recorded and the rest is used. Only when every step failed is the job failed: as an
 * infrastructure error (waited out, no retry spent) when Postgres was unreachable or silent, else as
 * a transient one.
 */
export async function gatherContext(job: Job, ctx: EnhanceContext, opts: GatherOptions): Promise<Gathered> {
  const text = plainText(job.description).slice(0, MAX_SEARCH_CHARS);
  const query: TicketQuery = {
    tenantId: job.tenant_id,
    ticketId: job.ticket_id,
    text,
    subject: subjectProbe(text),
  };
  const lookup = { addresses: extractAddresses(text), hostnames: hostnameCandidates(text) };
  const { store, limits } = opts;
  const reads: Readonly<Record<StepName, (o: ReadOptions) => Promise<readonly unknown[]>>> = {
    similar_tickets: (o) => store.similarTickets(query, limits.similar, o),
    kb_articles: (o) => store.kbArticles(query, limits.kb, o).then(strongArticles),
    ip_assets: (o) =>
      lookup.addresses.length + lookup.hostnames.length === 0
        ? Promise.resolve([])
        : store.assets(job.tenant_id, lookup, limits.assets, o),
  };
  const outcomes = await Promise.all(STEP_NAMES.map((name) => traced(name, reads[name], ctx, opts)));
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const byName = Object.fromEntries(STEP_NAMES.map((n, i) => [n, outcomes[i]!])) as Record<
    StepName,
    StepOutcome<unknown>
  >;
  if (outcomes.every((o) => o.report.status !== 'ok')) {
    const why = STEP_NAMES.map((n) => `${n}: ${byName[n].report.error ?? byName[n].report.status}`).join(
      '; ',
    );
    if (outcomes.some((o) => o.outage))
      throw new InfrastructureError(`postgres unavailable for context: ${why}`, { dependency: 'postgres' });
    throw new TransientError(`every context step failed: ${why}`);
  }
  return {
    context: {
      similar_tickets: byName.similar_tickets.items as Context['similar_tickets'],
      kb_articles: byName.kb_articles.items as Context['kb_articles'],
      ip_assets: byName.ip_assets.items as Context['ip_assets'],
    },
    steps: Object.fromEntries(STEP_NAMES.map((n) => [n, byName[n].report])) as Record<StepName, StepReport>,
  };
}

/**
 * A note lists the articles that apply, not the best three of whatever shares a few words: behind a
 * strong match, an article scoring under half of it matched on the ticket's common words (another
 * product's article with the same template, in the demo's sample). When every match is weak, they stay.
 */
export const KB_RELATIVE_FLOOR = 0.5;

export function strongArticles<T extends { readonly score: number }>(articles: readonly T[]): T[] {
  const best = Math.max(0, ...articles.map((a) => a.score));
  return articles.filter((a) => a.score >= best * KB_RELATIVE_FLOOR);
}

/** One step in its own `context.<step>` span, timed into the step metric. */
async function traced(
  name: StepName,
  read: (o: ReadOptions) => Promise<readonly unknown[]>,
  ctx: EnhanceContext,
  opts: GatherOptions,
): Promise<StepOutcome<unknown>> {
  const span = ctx.tracer.startSpan(
    `context.${name}`,
    { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'enhancement.step': name } },
    ctx.trace,
  );
  const outcome = await runStep(read, {
    clock: opts.clock,
    stepTimeoutMs: opts.stepTimeoutMs,
    deadlineAt: ctx.deadlineAt,
    signal: ctx.signal,
  });
  const { status, ms, count, error } = outcome.report;
  opts.metrics?.observeStep(name, status, ms / 1000);
  if (span.isRecording()) {
    span.setAttributes({ 'enhancement.step.status': status, 'enhancement.step.count': count });
    if (status !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: error ?? status });
  }
  span.end();
  return outcome;
}
