import { Migration } from '@mikro-orm/migrations';

/** The tables of one tenant's knowledge, each behind the same row-level security as enhancement_history. */
const TENANT_TABLES = ['tickets', 'kb_articles', 'ip_assets', 'search_lexemes', 'search_corpora'] as const;

/**
 * Under row-level security Postgres will not search an index with an operator that is not leakproof
 * (`@@`, pg_trgm's `%`, inet's `>>=`): the policy's filter must run first, so every search would read
 * all of the tenant's rows. These functions find candidate ids through the indexes, each scoped by
 * `app.tenant_id` exactly as the policies are, and run as their owner (SECURITY DEFINER) so the indexes
 * are used. Callers join the ids back to the tables as enhancer_tenant, so what leaves the database is
 * still filtered by the policies. A candidate is ranked against the rare lexemes first (a few terms,
 * cheap), and only the best PRESELECT against all of the ticket's words. Queries are built with literals (EXECUTE format) because Postgres
 * plans a GIN search only for a constant query.
 */
/** Candidates ranked by the rare lexemes alone, before the dearer rank against all the ticket's words. */
const PRESELECT = 100;
/**
 * Rows a search reads at most. The rare-lexeme query normally matches far fewer; this bounds the one
 * case it cannot: a ticket whose every word is common.
 */
const MAX_MATCHES = 1_500;
const TENANT = `nullif(current_setting('app.tenant_id', true), '')`;
const DEFINER = `language plpgsql stable security definer set search_path = pg_catalog, public, pg_temp`;
const CANDIDATE_FUNCTIONS = [
  `create or replace function context_ticket_candidates(rare tsquery, words tsquery, exclude text, lim integer)
    returns table (id bigint, rank real) ${DEFINER} as $fn$
    begin
      return query execute format(
        'select c.id, (2 * c.rare_rank + ts_rank_cd(t.tsv, %2$L::tsquery, 1))::real as rank
           from (select m.id, ts_rank_cd(m.tsv, %1$L::tsquery, 1) as rare_rank
                   from (select t.id, t.tsv from public.tickets t
                          where t.tenant_id = ${TENANT.replaceAll("'", "''")} and t.tsv @@ %1$L::tsquery
                            and t.status in (''resolved'', ''closed'') and t.ticket_id <> %3$L
                          limit ${MAX_MATCHES}) m
                  order by rare_rank desc, m.id limit ${PRESELECT}) c
           join public.tickets t on t.id = c.id
          order by rank desc, c.id limit %4$s', rare, words, exclude, lim);
    end $fn$`,
  // The planner misjudges how dear similarity() is and would compute it for every row: no seq scan here.
  `create or replace function context_fuzzy_tickets(subject text, exclude text, lim integer)
    returns table (id bigint, sim real) ${DEFINER} set enable_seqscan = off as $fn$
    begin
      return query execute format(
        'select t.id, similarity(t.subject, %1$L) as sim
           from public.tickets t
          where t.tenant_id = ${TENANT.replaceAll("'", "''")} and t.subject %% %1$L
            and t.status in (''resolved'', ''closed'') and t.ticket_id <> %2$L
          order by sim desc, t.id limit %3$s', subject, exclude, lim);
    end $fn$`,
  `create or replace function context_kb_candidates(rare tsquery, words tsquery, lim integer)
    returns table (id bigint, rank real) ${DEFINER} as $fn$
    begin
      return query execute format(
        'select c.id, (2 * c.rare_rank + ts_rank_cd(a.tsv, %2$L::tsquery, 1))::real as rank
           from (select m.id, ts_rank_cd(m.tsv, %1$L::tsquery, 1) as rare_rank
                   from (select a.id, a.tsv from public.kb_articles a
                          where a.tenant_id = ${TENANT.replaceAll("'", "''")} and a.tsv @@ %1$L::tsquery
                          limit ${MAX_MATCHES}) m
                  order by rare_rank desc, m.id limit ${PRESELECT}) c
           join public.kb_articles a on a.id = c.id
          order by rank desc, c.id limit %3$s', rare, words, lim);
    end $fn$`,
  // Per address, its containing networks most specific first (GiST inet_ops); then hostnames.
  `create or replace function context_asset_candidates(addresses text[], hostnames text[], lim integer)
    returns table (id bigint, ord bigint, query text, matched_by text) ${DEFINER} as $fn$
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

/**
 * What the `context` pipeline reads: past tickets, knowledge-base articles and the IP inventory, plus
 * per-tenant lexeme document counts (refreshed by `enhancer import`) so a search can query by a
 * ticket's rarest words instead of ranking every row that shares a common one. enhancement_history
 * gains `result`, the note and the context it was built from.
 */
export class Migration20261206000001Context extends Migration {
  override up(): void {
    // Trusted since Postgres 13: a database owner may create it without being a superuser.
    this.addSql(`create extension if not exists pg_trgm`);
    this.addSql(`alter table enhancement_history add column if not exists result jsonb`);

    this.addSql(`
      create table if not exists tickets (
        id bigint generated always as identity primary key,
        tenant_id varchar(64) not null,
        ticket_id varchar(128) not null,
        subject text not null,
        description text not null,
        resolution text,
        status varchar(32) not null,
        category varchar(128),
        created_at timestamptz not null default now(),
        resolved_at timestamptz,
        tsv tsvector generated always as (
          setweight(to_tsvector('english', subject), 'A') ||
          setweight(to_tsvector('english', description), 'B') ||
          setweight(to_tsvector('english', coalesce(resolution, '')), 'C')
        ) stored,
        unique (tenant_id, ticket_id)
      )`);
    this.addSql(`create index if not exists tickets_tsv_idx on tickets using gin (tsv)`);
    this.addSql(
      `create index if not exists tickets_subject_trgm_idx on tickets using gin (subject gin_trgm_ops)`,
    );

    this.addSql(`
      create table if not exists kb_articles (
        id bigint generated always as identity primary key,
        tenant_id varchar(64) not null,
        article_id varchar(128) not null,
        title text not null,
        body text not null,
        url text,
        tags text[] not null default '{}',
        tsv tsvector generated always as (
          setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
        ) stored,
        unique (tenant_id, article_id)
      )`);
    this.addSql(`create index if not exists kb_articles_tsv_idx on kb_articles using gin (tsv)`);

    this.addSql(`
      create table if not exists ip_assets (
        id bigint generated always as identity primary key,
        tenant_id varchar(64) not null,
        network inet not null,
        hostname varchar(253) not null,
        owner text,
        role text,
        location text,
        notes text,
        unique (tenant_id, network, hostname)
      )`);
    this.addSql(
      `create index if not exists ip_assets_network_idx on ip_assets using gist (network inet_ops)`,
    );
    this.addSql(`create index if not exists ip_assets_hostname_idx on ip_assets (lower(hostname))`);

    this.addSql(`
      create table if not exists search_lexemes (
        tenant_id varchar(64) not null,
        corpus varchar(16) not null check (corpus in ('tickets', 'kb')),
        lexeme text not null,
        ndoc integer not null,
        primary key (tenant_id, corpus, lexeme)
      )`);

    // How many documents each corpus holds: a lexeme in a large share of them finds no candidates.
    this.addSql(`
      create table if not exists search_corpora (
        tenant_id varchar(64) not null,
        corpus varchar(16) not null check (corpus in ('tickets', 'kb')),
        ndocs integer not null,
        refreshed_at timestamptz not null default now(),
        primary key (tenant_id, corpus)
      )`);

    for (const sql of CANDIDATE_FUNCTIONS) this.addSql(sql);
    for (const name of [
      'context_ticket_candidates',
      'context_fuzzy_tickets',
      'context_kb_candidates',
      'context_asset_candidates',
    ]) {
      this.addSql(`revoke all on function ${name} from public`);
      this.addSql(`grant execute on function ${name} to enhancer_tenant`);
    }

    for (const table of TENANT_TABLES) {
      this.addSql(`grant select, insert, update, delete on ${table} to enhancer_tenant`);
      this.addSql(`alter table ${table} enable row level security`);
      this.addSql(`drop policy if exists ${table}_tenant on ${table}`);
      this.addSql(`create policy ${table}_tenant on ${table} to enhancer_tenant
        using (tenant_id = nullif(current_setting('app.tenant_id', true), ''))
        with check (tenant_id = nullif(current_setting('app.tenant_id', true), ''))`);
    }
  }

  override down(): void {
    for (const f of [
      'context_ticket_candidates(tsquery, tsquery, text, integer)',
      'context_fuzzy_tickets(text, text, integer)',
      'context_kb_candidates(tsquery, tsquery, integer)',
      'context_asset_candidates(text[], text[], integer)',
    ]) {
      this.addSql(`drop function if exists ${f}`);
    }
    for (const table of [...TENANT_TABLES].reverse()) this.addSql(`drop table if exists ${table}`);
    this.addSql(`alter table enhancement_history drop column if exists result`);
  }
}
