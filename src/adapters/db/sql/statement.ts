import type { Knex } from '@mikro-orm/postgresql';

/** One SQL statement with `?` placeholders, inlined by the driver's own escaping before it is sent. */
export interface Statement {
  readonly sql: string;
  readonly bindings: readonly unknown[];
}

/**
 * The statement as text, its values escaped by knex's pg dialect: so several statements go to Postgres
 * as one simple-protocol query (one round trip, one implicit transaction).
 */
export function inline(knex: Knex, s: Statement): string {
  return knex.raw(s.sql, s.bindings as Knex.RawBinding[]).toQuery();
}
