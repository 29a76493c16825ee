import { PermanentError, TransientError, errorKind } from '../../domain/errors.js';
import { errorMessage } from '../../lib/error-message.js';
import type { Tenant } from '../../tenants/tenants.js';
import type { Enhancer } from '../enhancer.js';
import type { Synthesizer } from '../synthesis/synthesize.js';
import { writeBack, type WritebackOptions, type WritebackRecord } from '../writeback/write-back.js';
import { gatherContext, type GatherOptions } from './gather.js';
import { clip, extractiveNote } from './note.js';
import type { EnhancementRecord, Synthesis } from './types.js';

export interface ContextEnhancerOptions extends GatherOptions {
  /** NOTE_MAX_CHARS. */
  readonly noteMaxChars: number;
  /** Writes the note with a language model when LLM_BASE_URL is set; else the note is extractive. */
  readonly synthesizer?: Synthesizer;
  /** Puts the note on the tenant's helpdesk, when the tenant has one configured. */
  readonly writeback?: WritebackOptions & {
    readonly tenants: { get(id: string): Tenant | undefined };
    /** Time kept back from the model for the write-back's calls. */
    readonly reserveMs: number;
  };
}

/**
 * The `context` pipeline: gather the ticket's context, write the note (by the model, or extractive),
 * put it on the helpdesk request. The summary (result_summary) is the note's first line; the whole
 * record goes to enhancement_history.result, also when the write-back fails (the error carries it).
 */
export function contextEnhancer(opts: ContextEnhancerOptions): Enhancer {
  return {
    name: 'context',
    async enhance(job, ctx) {
      const { context, steps } = await gatherContext(job, ctx, opts);
      const extractive = extractiveNote(job.ticket_id, context, steps, opts.noteMaxChars);
      const target = opts.writeback?.tenants.get(job.tenant_id)?.servicedesk;
      const reserve = target ? (opts.writeback?.reserveMs ?? 0) : 0;
      const { note, synthesis } = opts.synthesizer
        ? await opts.synthesizer.write(job, context, extractive, ctx, ctx.deadlineAt - reserve)
        : { note: extractive, synthesis: { kind: 'extractive' } as Synthesis };
      const record: EnhancementRecord = { note, context, steps, synthesis };
      let writeback: WritebackRecord = { status: 'skipped' };
      if (opts.writeback) {
        try {
          writeback = await writeBack(job, note, target, ctx, opts.writeback);
        } catch (err) {
          // Beside `writeback`, never in it: the lease state stored there must survive the failure.
          throw withRecord(err, { ...record, writeback_error: errorMessage(err) });
        }
      }
      ctx.log.debug('note written', {
        similar_tickets: context.similar_tickets.length,
        kb_articles: context.kb_articles.length,
        ip_assets: context.ip_assets.length,
        synthesis: synthesis.kind,
        writeback: writeback.status,
      });
      return { summary: summaryOf(note), result: { ...record, writeback } };
    },
  };
}

/** result_summary: the note's first line. */
export function summaryOf(note: string): string {
  return clip(note.split('\n', 1)[0] ?? '', 300);
}

/** The same failure, carrying the record, so the note is kept in history whatever becomes of the job. */
function withRecord(err: unknown, record: EnhancementRecord & { writeback_error: string }): unknown {
  const result = { ...record } as Record<string, unknown>;
  const e = err as Error;
  switch (errorKind(err)) {
    case 'permanent':
      return new PermanentError(e.message, { cause: err, result });
    case 'transient':
      return new TransientError(e.message, {
        cause: err,
        result,
        retryAfterMs: (err as TransientError).retryAfterMs,
      });
    default:
      return err;
  }
}
