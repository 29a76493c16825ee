/**
 * The context steps' reads, one stateless statement builder each, one round trip each. They run
 * under row-level security (see tenant-query.ts), so no statement names the tenant: Postgres shows
 * them only its rows. Candidates come from the search functions of the context migration (see
 * migrations/context-search-functions.ts: how rarity finds them cheaply, and why functions at all);
 * here they are joined back to their rows through RLS, kept only when related, and scored.
 */
import type { Statement } from './history-ops';

/** Candidates a search function returns for re-ranking. */
const CANDIDATES = 50;
/** How much subject similarity (0–1) adds to the full-text rank. */
const SUBJECT_WEIGHT = 0.5;

/**
 * Whether a full-text candidate (alias `alias`, ticket lexemes in `q.lexemes`) is related to the
 * ticket, not just holding one of its words: it shares two or more of the ticket's lexemes, or one that
 * looks like an identifier (an error code, a version, a host: four characters or more with a digit),
 * which says enough alone. One shared ordinary word ("new") is a coincidence.
 */
const RELATED = (alias: string) => `(select count(*) >= 2 or bool_or(length(x) >= 4 and x ~ '[0-9]')
          from (select unnest(tsvector_to_array(${alias}.tsv)) intersect select unnest(q.lexemes)) shared(x))`;

export interface TicketSearch {
  /** The ticket's plain text, cut to what a search reads. */
  readonly text: string;
  /** `websearch_to_tsquery` input: the ticket's words, OR-ed. */
  readonly anyWords: string;
  /** The ticket's first line. */
  readonly subject: string;
  readonly ticketId: string;
  readonly limit: number;
}

/** Resolved tickets related to the ticket, best first (full text, or subject similarity alone). */
export function similarTicketsStatement(s: TicketSearch): Statement {
  return {
    sql: `select ticket_id, subject, resolution, category, resolved_at, score from (
        select t.ticket_id, t.subject, left(t.resolution, 600) as resolution, t.category, t.resolved_at,
          round((case when c.fuzzy then c.rank else c.rank + ${SUBJECT_WEIGHT} * similarity(t.subject, ?) end)::numeric, 3)::float8
            as score,
          c.fuzzy or ${RELATED('t')} as related
        from context_ticket_candidates(?, websearch_to_tsquery('english', ?), ?, ?, ${CANDIDATES}) c
        join tickets t on t.id = c.id,
        (select tsvector_to_array(to_tsvector('english', ?)) as lexemes) q
      ) ranked
      where score > 0 and related
      order by score desc, ticket_id
      limit ?`,
    bindings: [s.subject, s.text, s.anyWords, s.subject, s.ticketId, s.text, s.limit],
  };
}

export interface ArticleSearch {
  readonly text: string;
  readonly anyWords: string;
  readonly limit: number;
}

/** Related articles, best first, each with an excerpt marking the rare words that found it. */
export function kbArticlesStatement(s: ArticleSearch): Statement {
  return {
    sql: `select article_id, title, url, excerpt, score from (
        select a.article_id, a.title, a.url,
          ts_headline('english', left(a.body, 20000), c.rare,
            'MaxWords=40, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", StartSel=**, StopSel=**') as excerpt,
          round(c.rank::numeric, 3)::float8 as score,
          ${RELATED('a')} as related
        from context_kb_candidates(?, websearch_to_tsquery('english', ?), ${CANDIDATES}) c
        join kb_articles a on a.id = c.id,
        (select tsvector_to_array(to_tsvector('english', ?)) as lexemes) q
        where c.rank > 0
      ) ranked
      where related
      order by score desc, article_id
      limit ?`,
    bindings: [s.text, s.anyWords, s.text, s.limit],
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
