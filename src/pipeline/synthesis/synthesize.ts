import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Clock } from '../../lib/clock.js';
import type { Job } from '../../domain/job.js';
import type { EnhanceContext } from '../enhancer.js';
import type { Context, Synthesis } from '../context/types.js';
import { ChatError, type ChatFailure, type ChatModel } from './chat-model.js';
import { systemMessage, userMessage } from './prompt.js';

/** Below this much time left, the model is not asked: the extractive note is better than a timeout. */
export const MIN_LLM_MS = 1_000;
/** Bad-key and bad-model errors are logged at error this often at most; retrying cannot fix them. */
export const COMPLAINT_INTERVAL_MS = 60_000;

/** Where LLM calls are counted (`enhancement_llm_requests_total`, `enhancement_llm_tokens_total`). */
export interface LlmMetrics {
  llmRequest(outcome: 'ok' | ChatFailure | 'empty' | 'error'): void;
  llmTokensUsed(kind: 'prompt' | 'completion', count: number): void;
}

export interface SynthesisOptions {
  readonly model: ChatModel;
  readonly clock: Clock;
  /** LLM_TIMEOUT_MS, LLM_MAX_TOKENS, LLM_TEMPERATURE. */
  readonly timeoutMs: number;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly noteMaxChars: number;
  readonly metrics?: LlmMetrics;
}

export interface Synthesized {
  readonly note: string;
  readonly synthesis: Synthesis;
}

/**
 * The note by the model, or the extractive one when the model cannot give one: a timeout, 429, 5xx,
 * connection error, refusal or empty answer costs the technician nothing but the model's prose. The
 * call never outlives `until` (the soft deadline less the write-back's reserve) nor the attempt.
 */
export class Synthesizer {
  private lastComplaint = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: SynthesisOptions) {}

  async write(
    job: Job,
    context: Context,
    extractive: string,
    ctx: EnhanceContext,
    until: number,
  ): Promise<Synthesized> {
    const { clock, model } = this.opts;
    const started = clock.now();
    const timeoutMs = Math.min(this.opts.timeoutMs, until - started);
    if (timeoutMs < MIN_LLM_MS) return fallback(extractive, 'no_time');
    const span = ctx.tracer.startSpan(
      'llm.chat',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model.model },
      },
      ctx.trace,
    );
    try {
      const answer = await model.complete({
        system: systemMessage(this.opts.noteMaxChars),
        user: userMessage(job, context),
        maxTokens: this.opts.maxTokens,
        temperature: this.opts.temperature,
        signal: ctx.signal,
        timeoutMs,
      });
      this.opts.metrics?.llmTokensUsed('prompt', answer.promptTokens);
      this.opts.metrics?.llmTokensUsed('completion', answer.completionTokens);
      span.setAttributes({
        'gen_ai.response.model': answer.model,
        'gen_ai.usage.input_tokens': answer.promptTokens,
        'gen_ai.usage.output_tokens': answer.completionTokens,
      });
      const { text, truncated } = cleanNote(answer.text, this.opts.noteMaxChars);
      if (text === '') {
        this.opts.metrics?.llmRequest('empty');
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'empty answer' });
        return fallback(extractive, 'empty');
      }
      this.opts.metrics?.llmRequest('ok');
      return {
        note: text,
        synthesis: {
          kind: 'llm',
          model: answer.model,
          prompt_tokens: answer.promptTokens,
          completion_tokens: answer.completionTokens,
          ms: clock.now() - started,
          ...(truncated ? { truncated: true } : {}),
        },
      };
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const kind =
        err instanceof ChatError || (err as Error).name === 'ChatError' ? (err as ChatError).kind : 'error';
      this.opts.metrics?.llmRequest(kind);
      span.setStatus({ code: SpanStatusCode.ERROR, message: kind });
      if (kind === 'auth' || kind === 'not_found') this.complain(ctx, err as ChatError);
      else ctx.log.warn('llm unavailable; the extractive note is used', { reason: kind });
      return fallback(extractive, kind);
    } finally {
      span.end();
    }
  }

  /** A bad key or model: retrying cannot fix it, so say so loudly, but once a minute, not per job. */
  private complain(ctx: EnhanceContext, err: ChatError): void {
    const now = this.opts.clock.now();
    if (now - this.lastComplaint < COMPLAINT_INTERVAL_MS) return;
    this.lastComplaint = now;
    ctx.log.error('llm refused the request: check LLM_API_KEY, LLM_MODEL and LLM_BASE_URL', {
      reason: err.kind,
      status: err.status,
      model: this.opts.model.model,
    });
  }
}

function fallback(extractive: string, reason: string): Synthesized {
  return { note: extractive, synthesis: { kind: 'extractive', fallback_reason: reason } };
}

/**
 * The model's answer as a note: control characters out (line breaks stay), blank runs shortened, at
 * most `max` characters, cut at a line or word where one is near.
 */
export function cleanNote(raw: string, max: number): { text: string; truncated: boolean } {
  const text = raw
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (text.length <= max) return { text, truncated: false };
  let end = max - 1;
  const line = text.lastIndexOf('\n', end);
  const space = text.lastIndexOf(' ', end);
  if (line > max * 0.7) end = line;
  else if (space > max * 0.7) end = space;
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return { text: `${text.slice(0, end).trimEnd()}…`, truncated: true };
}
