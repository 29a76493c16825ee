/**
 * The statements of one import, one stateless builder each. They run in a tenant-scoped transaction
 * (see tenant-scope.ts): the staging table is created after `set local role`, so the tenant role owns
 * it, and row-level security limits every read and write of the real tables to that tenant. Only
 * identifiers from the fixed table below are inlined; values are bound.
 */
import { KINDS, type ImportKind } from '../../../import/kinds';
import type { Corpus } from './search-lexemes';

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
 * One upsert from the stage; counts inserted and updated rows (`xmax = 0` only on a fresh row). A row
 * whose values are all the same is not rewritten (no new tsvector, no index churn) and not returned:
 * the caller counts it as unchanged. Binds $1 = the tenant id.
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
        where (${rest.map((n) => `t.${n}`).join(', ')}) is distinct from (${rest.map((n) => `excluded.${n}`).join(', ')})
      returning (t.xmax = 0) as inserted)
    select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated
    from up`;
}

/**
 * The GIN indexes of the kind's table and whether the connecting role may clean their pending lists
 * (only an owner may). Binds $1 = the table name.
 */
export const GIN_INDEXES_SQL = `select c.oid::regclass::text as name, pg_has_role(c.relowner, 'USAGE') as owned
  from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
  where i.indrelid = $1::regclass and am.amname = 'gin'`;

/** Only one import of a kind per tenant at a time; a second fails at once instead of queueing. */
export const TRY_IMPORT_LOCK_SQL = `select pg_try_advisory_xact_lock(hashtext($1)) as locked`;
