import type { Enhancer } from '../enhancer';
import { gatherContext, type GatherOptions } from './gather';
import { extractiveNote } from './note';
import type { EnhancementRecord } from './types';

export interface ContextEnhancerOptions extends GatherOptions {
  /** NOTE_MAX_CHARS. */
  readonly noteMaxChars: number;
}

/**
 * The `context` pipeline: gather the ticket's context, then write the extractive note. The summary
 * (result_summary) is the note's first line; the whole record goes to enhancement_history.result.
 */
export function contextEnhancer(opts: ContextEnhancerOptions): Enhancer {
  return {
    name: 'context',
    async enhance(job, ctx) {
      const { context, steps } = await gatherContext(job, ctx, opts);
      const note = extractiveNote(job.ticket_id, context, steps, opts.noteMaxChars);
      const record: EnhancementRecord = { note, context, steps, synthesis: { kind: 'extractive' } };
      ctx.log.debug('context gathered', {
        similar_tickets: context.similar_tickets.length,
        kb_articles: context.kb_articles.length,
        ip_assets: context.ip_assets.length,
      });
      return { summary: firstLine(note), result: record as unknown as Record<string, unknown> };
    },
  };
}

export function firstLine(note: string): string {
  return note.split('\n', 1)[0] ?? '';
}
