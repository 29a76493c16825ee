import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import type { DbBounds } from '../../../config/schema.js';
import { runImport } from '../../../import/run-import.js';
import type { ImportOptions, ImportSummary } from '../../../import/types.js';
import { openOrm } from '../orm.js';
import { PgImportTarget, type PgImportOptions } from './pg-import-target.js';

/**
 * Imports tickets, kb articles or assets for one tenant: every record validated, the valid ones
 * COPYed and upserted in one transaction under row-level security, all or nothing unless
 * `skipInvalid`. A dry run never touches the database. The entry point for the CLI, the demo and the
 * benchmark; see docs/import.md.
 */
export function importRows(
  db: MikroORM | Knex,
  opts: ImportOptions,
  pg: PgImportOptions = {},
): Promise<ImportSummary> {
  if (opts.dryRun) return runImport(undefined, opts);
  const knex = 'em' in db ? db.em.getKnex() : db;
  return runImport(new PgImportTarget(knex, pg), opts);
}

/**
 * The ORM an import runs on: one connection, its statements under the migration bound, since one
 * upsert of a large file runs far longer than a job's statement may.
 */
export function openImportOrm(databaseUrl: string, bounds: DbBounds): Promise<MikroORM> {
  return openOrm({ databaseUrl, poolMax: 1, bounds, statementTimeoutMs: bounds.migrationTimeoutMs });
}
