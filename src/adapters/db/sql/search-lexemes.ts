/**
 * Per-tenant lexeme document counts, which let a search query by a ticket's rarest words. Run inside
 * a tenant-scoped transaction (see tenant-scope.ts): row-level security limits both the delete and the
 * ts_stat scan to that tenant, so the tenant id is bound only for the inserted rows.
 */
import type { Statement } from './history-ops';

export type Corpus = 'tickets' | 'kb';

/** Ticket statuses that count as resolved: only these are offered as similar tickets. */
export const RESOLVED_STATUSES = ['resolved', 'closed'] as const;

const CORPUS_QUERY: Readonly<Record<Corpus, string>> = {
  tickets: `select tsv from tickets where status in (${RESOLVED_STATUSES.map((s) => `''${s}''`).join(', ')})`,
  kb: `select tsv from kb_articles`,
};

/** Two statements: forget the corpus's counts, then count again from its rows. */
export function refreshLexemesStatements(tenantId: string, corpus: Corpus): Statement[] {
  return [
    { sql: `delete from search_lexemes where corpus = ?`, bindings: [corpus] },
    {
      sql: `insert into search_lexemes (tenant_id, corpus, lexeme, ndoc)
        select ?, ?, word, ndoc from ts_stat('${CORPUS_QUERY[corpus]}')`,
      bindings: [tenantId, corpus],
    },
  ];
}
