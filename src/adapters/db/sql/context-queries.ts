/**
 * The context steps' reads, one stateless statement builder each. They run under row-level security
 * (see context-store.ts), so no statement names the tenant: Postgres shows them only its rows.
 *
 * Full-text search in two stages, so its cost does not grow with how common a ticket's words are:
 * candidates are the rows holding the ticket's rarest lexemes (by the per-tenant counts in
 * search_lexemes, taken while their summed counts stay under a budget), then candidates are ranked
 * with ts_rank_cd against all of the ticket's words (websearch_to_tsquery of their OR). Past subjects
 * within trigram distance of the ticket's first line are candidates too, and similarity adds to the
 * score.
 */
import type { Statement } from './history-ops';
import { RESOLVED_STATUSES, type Corpus } from './search-lexemes';

/** Rows holding the rarest lexemes that a search considers, at most (summed document counts). */
export const CANDIDATE_BUDGET = 2_000;
/** Rare lexemes in the candidate query, at most. */
export const MAX_RARE_TERMS = 12;
/** Rows within trigram distance of the subject considered, at most. */
const SUBJECT_CANDIDATES = 50;
/** How much subject similarity (0–1) adds to the full-text rank. */
const SUBJECT_WEIGHT = 0.5;

const RESOLVED = RESOLVED_STATUSES.map((s) => `'${s}'`).join(', ');

/** A tsquery literal from lexemes as stored, quoted so none is read as an operator. */
const quotedLexeme = `chr(39) || replace(replace(lexeme, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39)) || chr(39)`;

/** `rare_q` (candidates) and `all_q` (ranking) for `corpus`; binds: text, anyWords. */
function probe(corpus: Corpus): string {
  return `rare as (
      select lexeme, sum(ndoc) over (order by ndoc, lexeme) - ndoc as before
      from search_lexemes
      where corpus = '${corpus}' and lexeme = any (tsvector_to_array(to_tsvector('english', ?)))
    ),
    probe as (
      select (select string_agg(${quotedLexeme}, ' | ')::tsquery
                from (select lexeme from rare where before < ${CANDIDATE_BUDGET} order by before limit ${MAX_RARE_TERMS}) p)
               as rare_q,
             websearch_to_tsquery('english', ?) as all_q
    )`;
}

export interface TicketSearch {
  readonly ticketId: string;
  readonly text: string;
  readonly anyWords: string;
  readonly subject: string;
  readonly limit: number;
}

export function similarTicketsStatement(s: TicketSearch): Statement {
  return {
    sql: `with ${probe('tickets')},
      candidates as (
        (select t.id from tickets t, probe
          where probe.rare_q is not null and t.tsv @@ probe.rare_q
            and t.status in (${RESOLVED}) and t.ticket_id <> ?
          limit ${CANDIDATE_BUDGET * 2})
        union
        (select t.id from tickets t
          where ? <> '' and t.subject % ? and t.status in (${RESOLVED}) and t.ticket_id <> ?
          order by similarity(t.subject, ?) desc
          limit ${SUBJECT_CANDIDATES})
      )
      select * from (
        select t.ticket_id, t.subject, left(t.resolution, 600) as resolution, t.category, t.resolved_at,
          round((ts_rank_cd(t.tsv, probe.all_q, 1) + ${SUBJECT_WEIGHT} * similarity(t.subject, ?))::numeric, 3)::float8
            as score
        from tickets t join candidates c on c.id = t.id, probe
      ) ranked
      where score > 0
      order by score desc, ticket_id
      limit ?`,
    bindings: [
      s.text,
      s.anyWords,
      s.ticketId,
      s.subject,
      s.subject,
      s.ticketId,
      s.subject,
      s.subject,
      s.limit,
    ],
  };
}

export interface ArticleSearch {
  readonly text: string;
  readonly anyWords: string;
  readonly limit: number;
}

export function kbArticlesStatement(s: ArticleSearch): Statement {
  return {
    sql: `with ${probe('kb')},
      top as (
        select a.id, ts_rank_cd(a.tsv, probe.all_q, 1) as rank
        from (select a.id, a.tsv from kb_articles a, probe
              where probe.rare_q is not null and a.tsv @@ probe.rare_q limit ${CANDIDATE_BUDGET * 2}) a, probe
        where ts_rank_cd(a.tsv, probe.all_q, 1) > 0
        order by rank desc, a.id
        limit ?
      )
      select a.article_id, a.title, a.url,
        ts_headline('english', left(a.body, 20000), probe.all_q,
          'MaxWords=40, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", StartSel=**, StopSel=**') as excerpt,
        round(top.rank::numeric, 3)::float8 as score
      from top join kb_articles a on a.id = top.id, probe
      order by top.rank desc, a.article_id`,
    bindings: [s.text, s.anyWords, s.limit],
  };
}

/** Containing networks per address, at most this many (most specific first). */
const NETWORKS_PER_ADDRESS = 3;

/**
 * Assets whose network contains an address of the ticket (`network >>= address`, GiST inet_ops),
 * most specific first, in the order the addresses appear; then assets named by a hostname in the text.
 */
export function assetsStatement(
  addresses: readonly string[],
  hostnames: readonly string[],
  limit: number,
): Statement {
  return {
    sql: `select query, matched_by, network, hostname, owner, role, location, notes from (
        select q.ord, q.lit as query, 'address' as matched_by, abbrev(a.network) as network, a.hostname,
          a.owner, a.role, a.location, a.notes, masklen(a.network) as spec
        from unnest(?::text[]) with ordinality as q(lit, ord)
        cross join lateral (
          select * from ip_assets a where a.network >>= q.lit::inet
          order by masklen(a.network) desc, a.hostname
          limit ${NETWORKS_PER_ADDRESS}
        ) a
        union all
        select 1000000 + q.ord, q.name, 'hostname', abbrev(a.network), a.hostname,
          a.owner, a.role, a.location, a.notes, masklen(a.network)
        from unnest(?::text[]) with ordinality as q(name, ord)
        join ip_assets a on lower(a.hostname) = q.name
      ) m
      order by ord, spec desc, hostname, network
      limit ?`,
    bindings: [addresses, hostnames, limit],
  };
}
