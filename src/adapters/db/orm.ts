import { MikroORM, knex, type Knex, type Options } from '@mikro-orm/postgresql';
import { DEFAULTS, type DbBounds } from '../../config/schema.js';
import { systemClock } from '../../lib/clock.js';
import { withTimeout } from '../../lib/with-timeout.js';
import { EnhancementHistorySchema } from './entities.js';
import { IpAssetSchema, KbArticleSchema, SearchLexemeSchema, TicketSchema } from './context-entities.js';
import type { PgLinks, RawPgClient } from './pg-links.js';

export interface OrmOptions {
  readonly databaseUrl: string;
  readonly poolMax: number;
  /** Create the database when it is missing: only `enhancer migrate` does, never a scaled worker. */
  readonly ensureDatabase?: boolean;
  /** Where MikroORM's own messages go; dropped by default (we report what matters ourselves). */
  readonly logger?: (message: string) => void;
  /** Where the connection pool's warnings go (dropped by default); never the console, whose lines are not JSON. */
  readonly warn?: (message: string) => void;
  /** Connect, statement and keepalive bounds (DATABASE_*, TCP_KEEPALIVE_MS); the defaults when absent. */
  readonly bounds?: DbBounds;
  /** The statement bound to use instead of `bounds.statementTimeoutMs` (migrations). */
  readonly statementTimeoutMs?: number;
  /** Told of every connection the pool opens, and asked before one is reused. */
  readonly links?: PgLinks;
  /** Connect at init (MikroORM's default); false: at the first query, which the caller bounds. */
  readonly connect?: boolean;
}

/** How much longer than the server's statement_timeout the client waits for an answer. */
export const ANSWER_MARGIN_MS = 1_000;

export function ormOptions(opts: OrmOptions): Options {
  const b = opts.bounds ?? DEFAULTS.db;
  const statementMs = opts.statementTimeoutMs ?? b.statementTimeoutMs;
  const links = opts.links;
  return {
    clientUrl: opts.databaseUrl,
    entities: [EnhancementHistorySchema, TicketSchema, KbArticleSchema, IpAssetSchema, SearchLexemeSchema],
    ensureDatabase: opts.ensureDatabase ?? false,
    connect: opts.connect ?? true,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    // A free connection may be a while coming when all are busy with the worker's bounded statements.
    // Not the migration bound: `migrate` runs one statement at a time on its one connection, so its
    // waits are for a connection being opened, and must stay as short.
    pool: poolOptions(
      opts.poolMax,
      b,
      b.connectTimeoutMs + b.statementTimeoutMs + 2 * ANSWER_MARGIN_MS,
      links,
    ),
    driverOptions: {
      connection: {
        application_name: 'enhancer',
        connectionTimeoutMillis: b.connectTimeoutMs,
        // Server side: Postgres cancels a statement that runs too long (a lock wait, a slow disk).
        statement_timeout: statementMs,
        // Client side, for a silent server: pg gives up on an answer (the history store's own, shorter
        // bound also destroys the connection; this one guards MikroORM's queries).
        query_timeout: statementMs + 2 * ANSWER_MARGIN_MS,
        keepAlive: true,
        keepAliveInitialDelayMillis: b.keepAliveMs,
      },
      // knex's own pool hook (MikroORM's PoolConfig type does not list it).
      ...(links ? { pool: { validate: (client: RawPgClient) => links.usable(client) } } : {}),
      log: { warn: drop(opts.warn), error: drop(opts.warn), deprecate: drop(), debug: drop() },
    },
    debug: false,
    colors: false,
    logger: opts.logger ?? (() => undefined),
  };
}

/**
 * The knex pool of the ORM and of the read pool: opening a connection is bounded by pg's connect
 * timeout, these are the pool's own backstops; `links` is told of every connection it opens.
 */
function poolOptions(max: number, b: DbBounds, acquireTimeoutMillis: number, links?: PgLinks) {
  return {
    min: 0,
    max,
    idleTimeoutMillis: 30_000,
    createTimeoutMillis: b.connectTimeoutMs + ANSWER_MARGIN_MS,
    acquireTimeoutMillis,
    destroyTimeoutMillis: ANSWER_MARGIN_MS,
    ...(links
      ? {
          afterCreate: (client: RawPgClient, done: (err: Error | null, client: RawPgClient) => void) => {
            links.adopt(client);
            done(null, client);
          },
        }
      : {}),
  };
}

const drop =
  (to?: (message: string) => void) =>
  (message: unknown): void =>
    to?.(String(message));

export function openOrm(opts: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormOptions(opts));
}

/** The statement_timeout `orm`'s connections were opened with (see {@link ormOptions}). */
export function statementTimeoutOf(orm: MikroORM): number {
  const driver: { connection?: { statement_timeout?: unknown } } = orm.config.get('driverOptions');
  const ms = driver.connection?.statement_timeout;
  return typeof ms === 'number' ? ms : DEFAULTS.db.statementTimeoutMs;
}

/**
 * Creates the database if missing and applies every pending migration; safe to run again. The
 * migrator is loaded only here, so workers start without it. Its statements get the migration bound.
 */
export async function migrate(databaseUrl: string, bounds: DbBounds = DEFAULTS.db): Promise<string[]> {
  const [{ Migrator }, { migrationsList }] = await Promise.all([
    import('@mikro-orm/migrations'),
    import('./migrations/index.js'),
  ]);
  const opening = MikroORM.init({
    ...ormOptions({
      databaseUrl,
      poolMax: 1,
      ensureDatabase: true,
      bounds,
      statementTimeoutMs: bounds.migrationTimeoutMs,
    }),
    extensions: [Migrator],
    migrations: { tableName: 'enhancer_migrations', migrationsList, transactional: true, allOrNothing: true },
  });
  // Opening may connect up to three times (the database, the server's own to create it, the database
  // again), each bounded; this bounds the whole, whatever path the ORM takes (a migrate hook must
  // fail, not hang). One that opens after all is closed.
  const orm = await withTimeout(
    systemClock,
    3 * (bounds.connectTimeoutMs + 2 * ANSWER_MARGIN_MS),
    'opening the database',
    () => opening,
  ).catch((err: unknown) => {
    void opening.then((late) => late.close(true)).catch(() => undefined);
    throw err;
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
 * writes: the context pipeline's searches and its write-back state. Same server, driver and bounds as
 * the ORM's; `links` lets a read that overran its bound destroy its connection and every older one
 * (see PgLinks), as the history store's do.
 */
export function openReadPool(opts: {
  readonly databaseUrl: string;
  readonly poolMax: number;
  readonly applicationName: string;
  /** Connect and keepalive bounds as the ORM's; each read sets its own statement_timeout. */
  readonly bounds?: DbBounds;
  readonly links?: PgLinks;
  readonly warn?: (message: string) => void;
}): Knex {
  const b = opts.bounds ?? DEFAULTS.db;
  const links = opts.links;
  return knex({
    client: 'pg',
    connection: {
      connectionString: opts.databaseUrl,
      application_name: opts.applicationName,
      connectionTimeoutMillis: b.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: b.keepAliveMs,
    },
    pool: {
      ...poolOptions(opts.poolMax, b, b.connectTimeoutMs + 2 * ANSWER_MARGIN_MS, links),
      ...(links ? { validate: (client: RawPgClient) => links.usable(client) } : {}),
    },
    log: { warn: drop(opts.warn), error: drop(opts.warn), deprecate: drop(), debug: drop() },
  });
}
