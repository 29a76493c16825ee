/**
 * The statements of one import, one stateless builder each. They run in a tenant-scoped transaction
 * (see tenant-scope.ts): the staging table is created after the scope sets the role, so the tenant role owns
 * it, and row-level security limits every read and write of the real tables to that tenant. Only
 * identifiers from the fixed table below are inlined; values are bound.
 */
import { KINDS, type ImportKind } from '../../../import/kinds.js';
import type { Corpus } from './search-lexemes.js';

/** Where each kind lands. Columns, their order and the key come from the kind (src/import/kinds.ts). */
interface TablePlan {
  readonly table: string;
  /** Staging column types other than text. */
  readonly types: Readonly<Record<string, string>>;
  readonly corpus?: Corpus;
}

const PLANS: Readonly<Record<ImportKind, TablePlan>> = {
  tickets: {
    table: 'tickets',
    types: { created_at: 'timestamptz', resolved_at: 'timestamptz' },
    corpus: 'tickets',
  },
  kb: { table: 'kb_articles', types: { tags: 'text[]' }, corpus: 'kb' },
  assets: { table: 'ip_assets', types: { network: 'inet' } },
};

export const STAGE_TABLE = 'enhancer_import_stage';

/** The table a kind is imported into, and its lexeme corpus if it has one. */
export function importTable(kind: ImportKind): { readonly table: string; readonly corpus?: Corpus } {
  return PLANS[kind];
}

/** Staging columns in COPY order: the kind's fields. */
export function stageColumns(kind: ImportKind): readonly string[] {
  return KINDS[kind].fields;
}

/** `line` is the source line: it orders duplicates (the last wins) and names a row in errors. */
export function createStageSql(kind: ImportKind): string {
  const types = PLANS[kind].types;
  const columns = stageColumns(kind)
    .map((name) => `${name} ${types[name] ?? 'text'}`)
    .join(', ');
  return `create temp table ${STAGE_TABLE} (line bigint not null, ${columns}) on commit drop`;
}

export function copyStageSql(kind: ImportKind): string {
  return `copy ${STAGE_TABLE} (line, ${stageColumns(kind).join(', ')}) from stdin`;
}

/** Keeps the last line of each key; the count of deleted rows is the file's duplicates. */
export function dedupeStageSql(kind: ImportKind): string {
  const same = KINDS[kind].key.map((k) => `a.${k} = b.${k}`).join(' and ');
  return `delete from ${STAGE_TABLE} a using ${STAGE_TABLE} b where ${same} and a.line < b.line`;
}

/**
 * A ticket imported without created_at keeps the one it has; a new one gets now() (below). Without
 * this, every re-import of such a file would move created_at and count as an update.
 */
export function keepCreatedAtSql(): string {
  return `update ${STAGE_TABLE} s set created_at = t.created_at from tickets t
    where s.created_at is null and t.ticket_id = s.ticket_id`;
}

/**
 * Drops staged rows equal to the stored ones; the count is the file's unchanged rows. Done before
 * the upsert because INSERT computes a row's generated tsvector before it looks for a conflict: even
 * an upsert that ends up changing nothing would pay for every row's to_tsvector.
 */
export function dropUnchangedSql(kind: ImportKind): string {
  const { table } = PLANS[kind];
  const key = KINDS[kind].key;
  const rest = stageColumns(kind).filter((n) => !key.includes(n));
  return `delete from ${STAGE_TABLE} s using ${table} t
    where ${key.map((k) => `t.${k} = s.${k}`).join(' and ')}
      and (${rest.map((n) => `t.${n}`).join(', ')}) is not distinct from (${rest.map((n) => `s.${n}`).join(', ')})`;
}

/**
 * One upsert of what is left in the stage (new and changed rows); counts inserted and updated rows
 * (`xmax = 0` only on a fresh row). Binds $1 = the tenant id.
 */
export function upsertSql(kind: ImportKind): string {
  const { table } = PLANS[kind];
  const key = KINDS[kind].key;
  const names = stageColumns(kind);
  const values = names.map((n) => (n === 'created_at' ? `coalesce(s.created_at, now())` : `s.${n}`));
  const rest = names.filter((n) => !key.includes(n));
  return `with up as (
      insert into ${table} as t (tenant_id, ${names.join(', ')})
      select $1, ${values.join(', ')} from ${STAGE_TABLE} s
      on conflict (tenant_id, ${key.join(', ')}) do update
        set ${rest.map((n) => `${n} = excluded.${n}`).join(', ')}
      returning (t.xmax = 0) as inserted)
    select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated
    from up`;
}

/** Only one import of a kind per tenant at a time; a second fails at once instead of queueing. */
export const TRY_IMPORT_LOCK_SQL = `select pg_try_advisory_xact_lock(hashtext($1)) as locked`;
