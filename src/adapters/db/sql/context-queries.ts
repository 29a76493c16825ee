/**
 * The context steps' reads, one stateless statement builder each. They run under row-level security
 * (see context-store.ts), so no statement names the tenant: Postgres shows them only its rows.
 *
 * Full-text search costs what the ticket's rarest words cost, not what its common ones do: the ticket's
 * lexemes are looked up in the per-tenant counts (search_lexemes) and the rarest become the candidate
 * query, so a GIN search returns a few rows however common "printer" is; a word in more than
 * RARE_SHARE of the corpus finds nothing by itself (matching only on "new" is not similarity). Candidates are ranked with
 * ts_rank_cd twice, against the rare lexemes (weighted double: rarity stands in for the IDF Postgres's
 * ranking lacks) and against all of the ticket's words (websearch_to_tsquery of their OR); subject
 * similarity (pg_trgm) adds to the best of them, and finds candidates by itself when full text finds
 * none. Candidates come from the SECURITY DEFINER functions of the context migration (RLS keeps
 * Postgres from searching these indexes itself); every row is read back through RLS.
 */
import type { Statement } from './history-ops';
import type { Corpus } from './search-lexemes';

/** Rows holding the rarest lexemes that a search considers, at most (summed document counts). */
export const CANDIDATE_BUDGET = 300;
/**
 * A lexeme found in more than this share of the corpus says little about a ticket ("new", "app") and
 * finds no candidates; in a small corpus, any lexeme in at most MIN_RARE_NDOC documents still does.
 */
const RARE_SHARE = 0.05;
const MIN_RARE_NDOC = 3;
/** Rare lexemes in the candidate query, at most. */
export const MAX_RARE_TERMS = 12;
/** Full-text candidates re-ranked with subject similarity. */
const RERANKED = 50;
/**
 * Whether a candidate (alias `alias`, ticket lexemes in `q.lexemes`) is related to the ticket, not
 * just holding one of its words: it shares two or more of the ticket's lexemes, or one that looks like
 * an identifier (an error code, a version, a host: four characters or more with a digit), which says
 * enough alone. One shared ordinary word ("new") is a coincidence.
 */
const RELATED = (alias: string) => `(select count(*) >= 2 or bool_or(length(x) >= 4 and x ~ '[0-9]')
          from (select unnest(tsvector_to_array(${alias}.tsv)) intersect select unnest(q.lexemes)) shared(x))`;
/** How much subject similarity (0–1) adds to the full-text rank. */
const SUBJECT_WEIGHT = 0.5;

/** A tsquery literal from lexemes as stored, quoted so none is read as an operator. */
const quotedLexeme = `chr(39) || replace(replace(lexeme, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39)) || chr(39)`;

/**
 * The tsquery of the ticket's rarest lexemes in `corpus` (quoted, OR-ed; null when none is known):
 * taken in ascending document count while the counts add up to at most CANDIDATE_BUDGET rows, the
 * rarest always. Fetched in a round trip of its own and passed on as a literal, because Postgres plans
 * a GIN search only for a constant query: a computed one makes it scan the whole table.
 */
export function rareQueryStatement(corpus: Corpus, text: string): Statement {
  return {
    sql: `select string_agg(quoted, ' | ') as rare_q from (
        select ${quotedLexeme} as quoted, ndoc, sum(ndoc) over (order by ndoc, lexeme) as upto
        from search_lexemes l
        where l.corpus = ? and l.lexeme = any (tsvector_to_array(to_tsvector('english', ?)))
          and l.ndoc <= greatest(${MIN_RARE_NDOC},
                (select ${RARE_SHARE} * c.ndocs from search_corpora c where c.corpus = l.corpus))
        order by ndoc, lexeme
        limit ${MAX_RARE_TERMS}
      ) rare
      where upto <= ${CANDIDATE_BUDGET} or upto = ndoc`,
    bindings: [corpus, text],
  };
}

export interface TicketSearch {
  /** From rareQueryStatement. */
  readonly rareQuery: string;
  /** The ticket's plain text (its lexemes decide what counts as related). */
  readonly text: string;
  readonly anyWords: string;
  readonly subject: string;
  readonly ticketId: string;
  readonly limit: number;
}

/**
 * Resolved tickets holding a rare lexeme of the ticket (context_ticket_candidates ranks them: see the
 * migration), the best RERANKED re-ranked with subject similarity added, rows read through RLS.
 */
export function similarTicketsStatement(s: TicketSearch): Statement {
  return {
    sql: `select ticket_id, subject, resolution, category, resolved_at, score from (
        select t.ticket_id, t.subject, left(t.resolution, 600) as resolution, t.category, t.resolved_at,
          round((c.rank + ${SUBJECT_WEIGHT} * similarity(t.subject, ?))::numeric, 3)::float8 as score,
          ${RELATED('t')} as related
        from context_ticket_candidates(?::tsquery, websearch_to_tsquery('english', ?), ?, ${RERANKED}) c
        join tickets t on t.id = c.id,
        (select tsvector_to_array(to_tsvector('english', ?)) as lexemes) q
      ) ranked
      where score > 0 and related
      order by score desc, ticket_id
      limit ?`,
    bindings: [s.subject, s.rareQuery, s.anyWords, s.ticketId, s.text, s.limit],
  };
}

/**
 * The fallback when full text finds nothing (a typo, no distinctive word): resolved tickets whose
 * subject is within trigram distance of the ticket's first line, through the pg_trgm index.
 */
export function fuzzyTicketsStatement(s: Omit<TicketSearch, 'rareQuery' | 'anyWords'>): Statement {
  return {
    sql: `select t.ticket_id, t.subject, left(t.resolution, 600) as resolution, t.category, t.resolved_at,
        round((${SUBJECT_WEIGHT} * c.sim)::numeric, 3)::float8 as score
      from context_fuzzy_tickets(?, ?, ?) c join tickets t on t.id = c.id
      order by score desc, t.ticket_id`,
    bindings: [s.subject, s.ticketId, s.limit],
  };
}

export interface ArticleSearch {
  readonly rareQuery: string;
  readonly text: string;
  readonly anyWords: string;
  readonly limit: number;
}

export function kbArticlesStatement(s: ArticleSearch): Statement {
  return {
    sql: `select article_id, title, url, excerpt, score from (
        select a.article_id, a.title, a.url,
          ts_headline('english', left(a.body, 20000), ?::tsquery,
            'MaxWords=40, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", StartSel=**, StopSel=**') as excerpt,
          round(c.rank::numeric, 3)::float8 as score,
          ${RELATED('a')} as related
        from context_kb_candidates(?::tsquery, websearch_to_tsquery('english', ?), ${RERANKED}) c
        join kb_articles a on a.id = c.id,
        (select tsvector_to_array(to_tsvector('english', ?)) as lexemes) q
        where c.rank > 0
      ) ranked
      where related
      order by score desc, article_id
      limit ?`,
    bindings: [s.rareQuery, s.rareQuery, s.anyWords, s.text, s.limit],
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
