/**
 * Glossary
 * - context: what the pipeline gathers for a ticket from the tenant's own data: similar resolved
 *   tickets, knowledge-base articles and the machines its addresses belong to.
 * - step: one of the three gatherings; each runs concurrently under its own budget and may fail alone.
 * - note: the short text for the technician built from the context (extractive, or by an LLM).
 * - result: what enhancement_history.result stores: the note, the context, each step's outcome and
 *   how the note was made.
 */

export const STEP_NAMES = ['similar_tickets', 'kb_articles', 'ip_assets'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** ok; timeout (its budget ran out, or Postgres cancelled it at the budget); error (anything else). */
export type StepStatus = 'ok' | 'timeout' | 'error';

export interface SimilarTicket {
  readonly ticket_id: string;
  readonly subject: string;
  /** Full-text rank plus weighted subject similarity; higher is closer. Rounded to 3 decimals. */
  readonly score: number;
  /** The start of how it was fixed; null when the ticket recorded no resolution. */
  readonly resolution: string | null;
  readonly category: string | null;
  readonly resolved_at: string | null;
}

export interface KbArticle {
  readonly article_id: string;
  readonly title: string;
  readonly url: string | null;
  /** The passage that matched, matched words between ** and **. */
  readonly excerpt: string;
  readonly score: number;
}

export interface AssetMatch {
  /** The address, range or hostname as written in the ticket. */
  readonly query: string;
  readonly matched_by: 'address' | 'hostname';
  /** The asset's address or range (`inet` text, e.g. 10.0.4.0/24). */
  readonly network: string;
  readonly hostname: string;
  readonly owner: string | null;
  readonly role: string | null;
  readonly location: string | null;
  readonly notes: string | null;
}

export interface Context {
  readonly similar_tickets: readonly SimilarTicket[];
  readonly kb_articles: readonly KbArticle[];
  readonly ip_assets: readonly AssetMatch[];
}

export interface StepReport {
  readonly status: StepStatus;
  readonly ms: number;
  readonly count: number;
  /** Why it failed (one line, no credentials); absent when ok. */
  readonly error?: string;
}

export type Synthesis =
  | { readonly kind: 'extractive'; readonly fallback_reason?: string }
  | {
      readonly kind: 'llm';
      readonly model: string;
      readonly prompt_tokens: number;
      readonly completion_tokens: number;
      readonly ms: number;
      /** The answer was longer than NOTE_MAX_CHARS and was cut. */
      readonly truncated?: boolean;
    };

/** enhancement_history.result. */
export interface EnhancementRecord {
  readonly note: string;
  readonly context: Context;
  readonly steps: Readonly<Record<StepName, StepReport>>;
  readonly synthesis: Synthesis;
}

/** What a search is asked: the tenant, the ticket to leave out, and its text in the shapes the SQL wants. */
export interface TicketQuery {
  readonly tenantId: string;
  readonly ticketId: string;
  /** Plain text (tags stripped), cut to what a search reads. */
  readonly text: string;
  /** The first line, compared with past subjects by trigram similarity. */
  readonly subject: string;
}

/**
 * The context port: tenant-scoped reads (row-level security, not only a WHERE clause). Each call
 * must give up when `signal` aborts; `timeoutMs` bounds it on the server too.
 */
export interface ContextStore {
  similarTickets(q: TicketQuery, limit: number, opts: ReadOptions): Promise<SimilarTicket[]>;
  kbArticles(q: TicketQuery, limit: number, opts: ReadOptions): Promise<KbArticle[]>;
  assets(
    tenantId: string,
    lookup: { readonly addresses: readonly string[]; readonly hostnames: readonly string[] },
    limit: number,
    opts: ReadOptions,
  ): Promise<AssetMatch[]>;
}

export interface ReadOptions {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
}
