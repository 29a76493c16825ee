/**
 * The context steps' reads, one stateless statement builder each, one round trip each. They run
 * under row-level security (see tenant-query.ts), so no statement names the tenant: Postgres shows
 * them only its rows. The search functions of the context migration find, filter and score the
 * candidates (see migrations/context-search-functions.ts: how rarity finds them cheaply, and why
 * functions at all); here their ids are joined back to the rows through RLS.
 */
import type { Statement } from './statement.js';

export interface TicketSearch {
  /** The ticket's plain text, cut to what a search reads. */
  readonly text: string;
  /** The ticket's first line. */
  readonly subject: string;
  readonly ticketId: string;
  readonly limit: number;
}

/** Resolved tickets related to the ticket, best first (found and scored by the search function). */
export function similarTicketsStatement(s: TicketSearch): Statement {
  return {
    sql: `select t.ticket_id, t.subject, left(t.resolution, 600) as resolution, t.category, t.resolved_at,
        round(c.score::numeric, 3)::float8 as score
      from context_ticket_candidates(?, ?, ?, ?) c join tickets t on t.id = c.id
      where c.score > 0
      order by c.score desc, t.ticket_id`,
    bindings: [s.text, s.subject, s.ticketId, s.limit],
  };
}

export interface ArticleSearch {
  readonly text: string;
  readonly limit: number;
}

/** Related articles, best first, each with an excerpt marking the rare words that found it. */
export function kbArticlesStatement(s: ArticleSearch): Statement {
  return {
    sql: `select a.article_id, a.title, a.url,
        ts_headline('english', left(a.body, 20000), c.rare,
          'MaxWords=40, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", StartSel=**, StopSel=**') as excerpt,
        round(c.score::numeric, 3)::float8 as score
      from context_kb_candidates(?, ?) c join kb_articles a on a.id = c.id
      where c.score > 0
      order by c.score desc, a.article_id`,
    bindings: [s.text, s.limit],
  };
}

/**
 * Assets whose network contains an address of the ticket (`network >>= address`), most specific first,
 * in the order the addresses appear; then assets named by a hostname in the text.
 */
export function assetsStatement(
  addresses: readonly string[],
  hostnames: readonly string[],
  limit: number,
): Statement {
  return {
    sql: `select c.query, c.matched_by, abbrev(a.network) as network, a.hostname, a.owner, a.role, a.location, a.notes
      from context_asset_candidates(?::text[], ?::text[], ?) c join ip_assets a on a.id = c.id
      order by c.ord, masklen(a.network) desc, a.hostname, a.id`,
    bindings: [addresses, hostnames, limit],
  };
}
