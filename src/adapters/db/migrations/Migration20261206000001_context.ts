import { Migration } from '@mikro-orm/migrations';
import { SEARCH_FUNCTIONS, SEARCH_FUNCTION_SIGNATURES } from './context-search-functions.js';

/** The tables of one tenant's knowledge, each behind the same row-level security as enhancement_history. */
const TENANT_TABLES = ['tickets', 'kb_articles', 'ip_assets', 'search_lexemes', 'search_corpora'] as const;

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

    // Candidate searches that can use the indexes under row-level security: see context-search-functions.ts.
    for (const sql of SEARCH_FUNCTIONS) this.addSql(sql);
    for (const f of SEARCH_FUNCTION_SIGNATURES) {
      this.addSql(`revoke all on function ${f} from public`);
      this.addSql(`grant execute on function ${f} to enhancer_tenant`);
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
    for (const f of SEARCH_FUNCTION_SIGNATURES) this.addSql(`drop function if exists ${f}`);
    for (const table of [...TENANT_TABLES].reverse()) this.addSql(`drop table if exists ${table}`);
    this.addSql(`alter table enhancement_history drop column if exists result`);
  }
}
