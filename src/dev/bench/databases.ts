import pg from 'pg';

/** The same server as `databaseUrl`, another database. */
export function databaseUrlFor(databaseUrl: string, database: string): string {
  const u = new URL(databaseUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe database name ${name}`);
  return `"${name}"`;
};

async function onAdmin<T>(databaseUrl: string, run: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrlFor(databaseUrl, 'postgres') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function createDatabase(databaseUrl: string, name: string): Promise<void> {
  await onAdmin(databaseUrl, (c) => c.query(`create database ${ident(name)}`));
}

export async function dropDatabase(databaseUrl: string, name: string): Promise<void> {
  await onAdmin(databaseUrl, (c) => c.query(`drop database if exists ${ident(name)} with (force)`));
}

/** enhancement_history's columns and unique job_id, without row-level security: the naive consumer's table. */
export const baselineTableSql = `
  create table enhancement_history (
    id uuid primary key default gen_random_uuid(),
    job_id uuid not null unique,
    ticket_id varchar(128),
    tenant_id varchar(64) not null,
    status varchar(16) not null check (status in ('pending', 'completed', 'failed')),
    attempts integer not null default 0,
    result_summary text,
    error_message text,
    processing_time_ms integer,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`;

export async function createBaselineTable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(baselineTableSql);
  } finally {
    await client.end().catch(() => undefined);
  }
}
