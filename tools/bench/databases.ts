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

export async function dropDatabase(databaseUrl: string, name: string): Promise<void> {
  await onAdmin(databaseUrl, (c) => c.query(`drop database if exists ${ident(name)} with (force)`));
}
