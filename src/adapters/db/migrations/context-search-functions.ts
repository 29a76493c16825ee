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
 * candidate query; candidates are ranked against them first (a few terms, cheap), the best PRESELECT
 * against all of the ticket's words; a ticket search that finds nothing this way looks at subjects
 * within trigram distance instead.
 */

/** Candidates ranked by the rare lexemes alone, before the dearer rank against all the ticket's words. */
const PRESELECT = 30;
/** Rows a search reads at most: bounds the one case the rare query cannot, a ticket of common words. */
const MAX_MATCHES = 1_500;
/** Rare lexemes in the candidate query, at most, and the documents they may find together. */
const MAX_RARE_TERMS = 12;
const CANDIDATE_BUDGET = 100;
/**
 * A lexeme in more than this share of the corpus says little about a ticket ("new", "app") and finds
 * nothing by itself; in a small corpus, one in at most MIN_RARE_NDOC documents still does.
 */
const RARE_SHARE = 0.05;
const MIN_RARE_NDOC = 3;
/** How much subject similarity (0–1) weighs when it alone found the candidate. */
const SUBJECT_WEIGHT = 0.5;

const TENANT = `nullif(current_setting('app.tenant_id', true), '')`;
/** TENANT inside a format() string literal. */
const TENANT_Q = TENANT.replaceAll("'", "''");
// ROWS: a handful comes back, and the planner must know it, or it joins the ids by scanning a table.
const DEFINER = `stable security definer rows 20 set search_path = pg_catalog, public, pg_temp`;
const QUOTED = `chr(39) || replace(replace(l.lexeme, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39)) || chr(39)`;

export const SEARCH_FUNCTIONS = [
  // The rarest of `doc`'s lexemes in the tenant's `corpus`, taken in ascending document count while
  // the counts add up to at most CANDIDATE_BUDGET (the rarest always), as a quoted OR query.
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
      where upto <= ${CANDIDATE_BUDGET} or upto = ndoc;
      return q;
    end $fn$`,
  // fuzzy: found by subject similarity alone (rank is the weighted similarity).
  `create or replace function context_ticket_candidates(doc text, words tsquery, subject text, exclude text, lim integer)
    returns table (id bigint, rank real, fuzzy boolean) language plpgsql ${DEFINER}
    -- the planner misjudges how dear similarity() is and would compute it for every row
    set enable_seqscan = off as $fn$
    declare
      rare tsquery := context_rare_query('tickets', doc);
    begin
      if rare is not null then
        return query execute format(
          'select c.id, (2 * c.rare_rank + ts_rank_cd(t.tsv, %2$L::tsquery, 1))::real, false
             from (select m.id, ts_rank_cd(m.tsv, %1$L::tsquery, 1) as rare_rank
                     from (select t.id, t.tsv from public.tickets t
                            where t.tenant_id = ${TENANT_Q} and t.tsv @@ %1$L::tsquery
                              and t.status in (''resolved'', ''closed'') and t.ticket_id <> %3$L
                            limit ${MAX_MATCHES}) m
                    order by rare_rank desc, m.id limit ${PRESELECT}) c
             join public.tickets t on t.id = c.id
            order by 2 desc, c.id limit %4$s', rare, words, exclude, lim);
        if found then return; end if;
      end if;
      if subject <> '' then
        return query execute format(
          'select t.id, (${SUBJECT_WEIGHT} * similarity(t.subject, %1$L))::real, true
             from public.tickets t
            where t.tenant_id = ${TENANT_Q} and t.subject %% %1$L
              and t.status in (''resolved'', ''closed'') and t.ticket_id <> %2$L
            order by 2 desc, t.id limit %3$s', subject, exclude, lim);
      end if;
    end $fn$`,
  `create or replace function context_kb_candidates(doc text, words tsquery, lim integer)
    returns table (id bigint, rank real, rare tsquery) language plpgsql ${DEFINER} as $fn$
    declare
      q tsquery := context_rare_query('kb', doc);
    begin
      if q is null then return; end if;
      return query execute format(
        'select c.id, (2 * c.rare_rank + ts_rank_cd(a.tsv, %2$L::tsquery, 1))::real, %1$L::tsquery
           from (select m.id, ts_rank_cd(m.tsv, %1$L::tsquery, 1) as rare_rank
                   from (select a.id, a.tsv from public.kb_articles a
                          where a.tenant_id = ${TENANT_Q} and a.tsv @@ %1$L::tsquery
                          limit ${MAX_MATCHES}) m
                  order by rare_rank desc, m.id limit ${PRESELECT}) c
           join public.kb_articles a on a.id = c.id
          order by 2 desc, c.id limit %3$s', q, words, lim);
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
  'context_ticket_candidates(text, tsquery, text, text, integer)',
  'context_kb_candidates(text, tsquery, integer)',
  'context_asset_candidates(text[], text[], integer)',
];
