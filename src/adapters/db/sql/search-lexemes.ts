/**
 * Per-tenant lexeme document counts, which let a search query by a ticket's rarest words. Run inside
 * a tenant-scoped transaction (see tenant-scope.ts): row-level security limits both the delete and the
 * ts_stat scan to that tenant, so the tenant id is bound only for the inserted rows.
 */
import type { Statement } from './statement.js';

export type Corpus = 'tickets' | 'kb';

/** Ticket statuses that count as resolved: only these are offered as similar tickets. */
export const RESOLVED_STATUSES = ['resolved', 'closed'] as const;

const RESOLVED = RESOLVED_STATUSES.map((s) => `'${s}'`).join(', ');
const CORPUS_ROWS: Readonly<Record<Corpus, string>> = {
  tickets: `tickets where status in (${RESOLVED})`,
  kb: `kb_articles`,
};

/** Three statements: forget the corpus's counts, count again from its rows, and record its size. */
export function refreshLexemesStatements(tenantId: string, corpus: Corpus): Statement[] {
  const rows = CORPUS_ROWS[corpus];
  return [
    { sql: `delete from search_lexemes where corpus = ?`, bindings: [corpus] },
    {
      sql: `insert into search_lexemes (tenant_id, corpus, lexeme, ndoc)
        select ?, ?, word, ndoc from ts_stat('select tsv from ${rows.replaceAll("'", "''")}')`,
      bindings: [tenantId, corpus],
    },
    {
      sql: `insert into search_corpora (tenant_id, corpus, ndocs, refreshed_at)
        select ?, ?, count(*), now() from ${rows}
        on conflict (tenant_id, corpus) do update set ndocs = excluded.ndocs, refreshed_at = excluded.refreshed_at`,
      bindings: [tenantId, corpus],
    },
  ];
}
