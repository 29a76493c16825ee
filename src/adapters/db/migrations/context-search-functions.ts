/**
 * The search functions of Migration20261206000001_context, as SQL text. Part of that migration: once
 * released, never edit them here; change them in a new migration (create or replace).
 *
 * Under row-level security Postgres will not search an index with an operator that is not leakproof
 * (`@@`, pg_trgm's `%`, inet's `>>=`): the policy's filter must run first, so every search would read
 * all of the tenant's rows. These functions find candidate ids through the indexes, each scoped by
 * `app.tenant_id` exactly as the policies are, running as their owner (SECURITY DEFINER) so the
 * indexes are used. Callers join the ids back to the tables as enhancer_tenant, so what leaves the
 * database is still filtered by the policies. Searches are built with literals (EXECUTE format),
 * because Postgres plans a GIN search only for a constant query.
 *
 * A search is one call, one round trip: the ticket's rarest lexemes (context_rare_query) become the
 * candidate query; candidates are ranked by them (ts_rank_cd, double weight: Postgres's ranking has no
 * notion of rarity), the best PRESELECT keep only the related ones and are scored by rank, the number
 * of the ticket's lexemes they share and, for tickets, subject similarity (pg_trgm); a ticket search
 * that finds nothing this way looks at subjects within trigram distance instead.
 */

/** Candidates ranked by the rare lexemes alone, before the dearer rank against all the ticket's words. */
const PRESELECT = 30;
/** Rows a search reads at most: bounds the one case the rare query cannot, a ticket of common words. */
const MAX_MATCHES = 1_500;
/**
 * Subjects within trigram distance scored at most: when thousands are (templated subjects), none is
 * distinctive, and scoring them all cost 220 ms where 200 cost 7.
 */
const MAX_FUZZY = 200;
/** Rare lexemes in the candidate query, at most, and the documents they may find together. */
const MAX_RARE_TERMS = 12;
const CANDIDATE_BUDGET = 100;
/**
 * A lexeme in more than this share of the corpus says little about a ticket ("new", "app") and finds
 * nothing by itself; in a small corpus, one in at most MIN_RARE_NDOC documents still does.
 */
const RARE_SHARE = 0.05;
const MIN_RARE_NDOC = 3;
/** How much subject similarity (0–1) adds to a candidate's score (and is, when it alone found it). */
const SUBJECT_WEIGHT = 0.5;
/** How much each lexeme a candidate shares with the ticket adds: the common words break ties. */
const SHARED_WEIGHT = 0.02;

/**
 * How many of the ticket's lexemes a candidate's tsvector holds (`shared`), and whether one of them
 * looks like an identifier (four characters or more with a digit: an error code, a version, a host).
 */
const SHARED = (tsv: string, lexemes: string) =>
  `select count(*) as shared, coalesce(bool_or(length(w.x) >= 4 and w.x ~ '[0-9]'), false) as ident
     from (select unnest(tsvector_to_array(${tsv})) intersect select unnest(${lexemes})) w(x)`;
/**
 * A candidate is related to the ticket, not just holding one of its words, when it shares two or more
 * of its lexemes, or one identifier, which says enough alone. One shared ordinary word ("new") is a
 * coincidence.
 */
const IS_RELATED = `(s.shared >= 2 or s.ident)`;

const TENANT = `nullif(current_setting('app.tenant_id', true), '')`;
/** TENANT inside a format() string literal. */
const TENANT_Q = TENANT.replaceAll("'", "''");
// ROWS: a handful comes back, and the planner must know it, or it joins the ids by scanning a table.
const DEFINER = `stable security definer rows 20 set search_path = pg_catalog, public, pg_temp`;
const QUOTED = `chr(39) || replace(replace(l.lexeme, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39)) || chr(39)`;

export const SEARCH_FUNCTIONS = [
  // The rarest of `doc`'s lexemes in the tenant's `corpus`, taken in ascending document count while
  // the counts add up to at most CANDIDATE_BUDGET (the rarest alone up to three times that), as a
  // quoted OR query; null when none is rare enough.
  `create or replace function context_rare_query(corpus text, doc text) returns tsquery
    language plpgsql stable security definer set search_path = pg_catalog, public, pg_temp as $fn$
    declare
      q tsquery;
    begin
      -- PL/pgSQL keeps this plan for the session; a SQL function would plan it again at every call.
      select string_agg(quoted, ' | ')::tsquery into q from (
        select ${QUOTED} as quoted, l.ndoc, sum(l.ndoc) over (order by l.ndoc, l.lexeme) as upto
        from public.search_lexemes l
        where l.tenant_id = ${TENANT} and l.corpus = context_rare_query.corpus
          and l.lexeme = any (tsvector_to_array(to_tsvector('english', doc)))
          and l.ndoc <= greatest(${MIN_RARE_NDOC}, (select ${RARE_SHARE} * c.ndocs from public.search_corpora c
                                   where c.tenant_id = ${TENANT} and c.corpus = context_rare_query.corpus))
        order by l.ndoc, l.lexeme
        limit ${MAX_RARE_TERMS}
      ) rare
      where upto <= ${CANDIDATE_BUDGET} or (upto = ndoc and ndoc <= ${3 * CANDIDATE_BUDGET});
      return q;
    end $fn$`,
  // The best `lim` related resolved tickets, scored; fuzzy: found by subject similarity alone. Only the
  // GIN search is planned at each call (EXECUTE, for its constant query); the scoring is static SQL,
  // whose plan the session keeps.
  `create or replace function context_ticket_candidates(doc text, subject text, exclude text, lim integer)
    returns table (id bigint, score real, fuzzy boolean) language plpgsql ${DEFINER} as $fn$
    declare
      rare tsquery := context_rare_query('tickets', doc);
      lexemes text[] := tsvector_to_array(to_tsvector('english', doc));
      ids bigint[];
      ranks real[];
    begin
      if rare is not null then
        execute format(
          'select array_agg(x.id order by x.r desc, x.id), array_agg(x.r order by x.r desc, x.id)
             from (select m.id, ts_rank_cd(m.tsv, %1$L::tsquery, 1)::real as r
                     from (select t.id, t.tsv from public.tickets t
                            where t.tenant_id = ${TENANT_Q} and t.tsv @@ %1$L::tsquery
                              and t.status in (''resolved'', ''closed'') and t.ticket_id <> %2$L
                            limit ${MAX_MATCHES}) m
                    order by r desc, m.id limit ${PRESELECT}) x', rare, exclude)
          into ids, ranks;
        if ids is not null then
          return query
            select c.cid, (2 * c.r + ${SHARED_WEIGHT} * s.shared
                           + ${SUBJECT_WEIGHT} * similarity(t.subject, context_ticket_candidates.subject))::real, false
            from unnest(ids, ranks) as c(cid, r)
            join public.tickets t on t.id = c.cid
            cross join lateral (${SHARED('t.tsv', 'lexemes')}) s
            where ${IS_RELATED}
            order by 2 desc, c.cid limit lim;
          if found then return; end if;
        end if;
      end if;
      if context_ticket_candidates.subject <> '' then
        -- The planner misjudges how dear similarity() is and would compute it for every row. Local to
        -- the caller's transaction, which is this one statement (a function-level SET would cost every
        -- call, fallback or not).
        perform set_config('enable_seqscan', 'off', true);
        return query execute format(
          'select m.id, (${SUBJECT_WEIGHT} * similarity(m.subject, %1$L))::real, true
             from (select t.id, t.subject from public.tickets t
                    where t.tenant_id = ${TENANT_Q} and t.subject %% %1$L
                      and t.status in (''resolved'', ''closed'') and t.ticket_id <> %2$L
                    limit ${MAX_FUZZY}) m
            order by 2 desc, m.id limit %3$s', context_ticket_candidates.subject, exclude, lim);
      end if;
    end $fn$`,
  // The best \`lim\` related articles, scored, with the rare query that found them (for the excerpt).
  `create or replace function context_kb_candidates(doc text, lim integer)
    returns table (id bigint, score real, rare tsquery) language plpgsql ${DEFINER} as $fn$
    declare
      q tsquery := context_rare_query('kb', doc);
      lexemes text[] := tsvector_to_array(to_tsvector('english', doc));
      ids bigint[];
      ranks real[];
    begin
      if q is null then return; end if;
      execute format(
        'select array_agg(x.id order by x.r desc, x.id), array_agg(x.r order by x.r desc, x.id)
           from (select m.id, ts_rank_cd(m.tsv, %1$L::tsquery, 1)::real as r
                   from (select a.id, a.tsv from public.kb_articles a
                          where a.tenant_id = ${TENANT_Q} and a.tsv @@ %1$L::tsquery
                          limit ${MAX_MATCHES}) m
                  order by r desc, m.id limit ${PRESELECT}) x', q)
        into ids, ranks;
      if ids is null then return; end if;
      return query
        select c.cid, (2 * c.r + ${SHARED_WEIGHT} * s.shared)::real, q
        from unnest(ids, ranks) as c(cid, r)
        join public.kb_articles a on a.id = c.cid
        cross join lateral (${SHARED('a.tsv', 'lexemes')}) s
        where ${IS_RELATED}
        order by 2 desc, c.cid limit lim;
    end $fn$`,
  // Per address, its containing networks most specific first (GiST inet_ops); then hostnames.
  `create or replace function context_asset_candidates(addresses text[], hostnames text[], lim integer)
    returns table (id bigint, ord bigint, query text, matched_by text) language plpgsql ${DEFINER} as $fn$
    begin
      return query
        select m.id, m.ord, m.query, m.matched_by from (
          select a.id, q.ord, q.lit as query, 'address'::text as matched_by, masklen(a.network) as spec, a.hostname
          from unnest(addresses) with ordinality as q(lit, ord)
          cross join lateral (
            select x.id, x.network, x.hostname from public.ip_assets x
            where x.tenant_id = ${TENANT} and x.network >>= q.lit::inet
            order by masklen(x.network) desc, x.hostname limit 3
          ) a
          union all
          select a.id, 1000000 + q.ord, q.name, 'hostname', masklen(a.network), a.hostname
          from unnest(hostnames) with ordinality as q(name, ord)
          join public.ip_assets a on lower(a.hostname) = q.name and a.tenant_id = ${TENANT}
        ) m
        order by m.ord, m.spec desc, m.hostname, m.id
        limit lim;
    end $fn$`,
];

/** Every function above, with its argument types, for grants and `down`. */
export const SEARCH_FUNCTION_SIGNATURES = [
  'context_rare_query(text, text)',
  'context_ticket_candidates(text, text, text, integer)',
  'context_kb_candidates(text, integer)',
  'context_asset_candidates(text[], text[], integer)',
];
