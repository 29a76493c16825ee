import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { EnhancementHistorySchema } from './entities';
import { Migration20261128000001History } from './migrations/Migration20261128000001_history';

export interface OrmOptions {
  readonly databaseUrl: string;
  readonly poolMax: number;
  /** Create the database when it is missing: only `enhancer migrate` does, never a scaled worker. */
  readonly ensureDatabase?: boolean;
  /** Where MikroORM's own messages go; dropped by default (we report what matters ourselves). */
  readonly logger?: (message: string) => void;
}

export function ormOptions(opts: OrmOptions): Options {
  return {
    clientUrl: opts.databaseUrl,
    entities: [EnhancementHistorySchema],
    extensions: [Migrator],
    ensureDatabase: opts.ensureDatabase ?? false,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    pool: { min: 0, max: opts.poolMax, idleTimeoutMillis: 30_000 },
    driverOptions: { connection: { application_name: 'enhancer' } },
    migrations: {
      tableName: 'enhancer_migrations',
      migrationsList: [{ name: 'Migration20261128000001_history', class: Migration20261128000001History }],
      transactional: true,
      allOrNothing: true,
    },
    debug: false,
    colors: false,
    logger: opts.logger ?? (() => undefined),
  };
}

export function openOrm(opts: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormOptions(opts));
}

/** Creates the database if missing and applies every pending migration; safe to run again. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const orm = await openOrm({ databaseUrl, poolMax: 1, ensureDatabase: true });
  try {
    const applied = await orm.getMigrator().up();
    return applied.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}
