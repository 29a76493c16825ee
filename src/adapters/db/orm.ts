import { MikroORM, knex, type Knex, type Options } from '@mikro-orm/postgresql';
import { EnhancementHistorySchema } from './entities';
import { IpAssetSchema, KbArticleSchema, SearchLexemeSchema, TicketSchema } from './context-entities';

export interface OrmOptions {
  readonly databaseUrl: string;
  readonly poolMax: number;
  /** Create the database when it is missing: only `enhancer migrate` does, never a scaled worker. */
  readonly ensureDatabase?: boolean;
  /** Where MikroORM's own messages go; dropped by default (we report what matters ourselves). */
  readonly logger?: (message: string) => void;
  /** Where the connection pool's warnings go (dropped by default); never the console, whose lines are not JSON. */
  readonly warn?: (message: string) => void;
  /**
   * Bound on opening a connection and on waiting for one from the pool, in ms. Unset: the driver's
   * defaults (no connect timeout, 60 s for the pool). One-shot commands such as `import` set it.
   */
  readonly connectTimeoutMs?: number;
}

export function ormOptions(opts: OrmOptions): Options {
  return {
    clientUrl: opts.databaseUrl,
    entities: [EnhancementHistorySchema, TicketSchema, KbArticleSchema, IpAssetSchema, SearchLexemeSchema],
    ensureDatabase: opts.ensureDatabase ?? false,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    pool: { min: 0, max: opts.poolMax, idleTimeoutMillis: 30_000 },
    driverOptions: {
      connection: {
        application_name: 'enhancer',
        ...(opts.connectTimeoutMs === undefined ? {} : { connectionTimeoutMillis: opts.connectTimeoutMs }),
      },
      ...(opts.connectTimeoutMs === undefined ? {} : { acquireConnectionTimeout: opts.connectTimeoutMs }),
      log: { warn: drop(opts.warn), error: drop(opts.warn), deprecate: drop(), debug: drop() },
    },
    debug: false,
    colors: false,
    logger: opts.logger ?? (() => undefined),
  };
}

const drop =
  (to?: (message: string) => void) =>
  (message: unknown): void =>
    to?.(String(message));

export function openOrm(opts: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormOptions(opts));
}

/**
 * Creates the database if missing and applies every pending migration; safe to run again. The
 * migrator is loaded only here, so workers start without it.
 */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const [{ Migrator }, { migrationsList }] = await Promise.all([
    import('@mikro-orm/migrations'),
    import('./migrations/index.js'),
  ]);
  const orm = await MikroORM.init({
    ...ormOptions({ databaseUrl, poolMax: 1, ensureDatabase: true }),
    extensions: [Migrator],
    migrations: { tableName: 'enhancer_migrations', migrationsList, transactional: true, allOrNothing: true },
  });
  try {
    const applied = await orm.getMigrator().up();
    return applied.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}

/**
 * A second, small connection pool for reads that must not wait behind (or hold up) the history
 * writes: the context pipeline's searches. Same server and driver as the ORM's pool.
 */
export function openReadPool(opts: {
  readonly databaseUrl: string;
  readonly poolMax: number;
  readonly applicationName: string;
  readonly warn?: (message: string) => void;
}): Knex {
  return knex({
    client: 'pg',
    connection: { connectionString: opts.databaseUrl, application_name: opts.applicationName },
    pool: { min: 0, max: opts.poolMax, idleTimeoutMillis: 30_000 },
    log: { warn: drop(opts.warn), error: drop(opts.warn), deprecate: drop(), debug: drop() },
  });
}
