/** Outages on demand: drop a client's broker connection from the server side, lock out a database. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { PG_ROOT } from './services.js';

const run = promisify(execFile);

/**
 * Closes, from the broker's side, every connection whose client named itself `connectionName` (as
 * `rabbitmqctl close_all_connections` would, but leaving other test files' connections alone).
 * Returns how many it closed.
 */
export async function closeBrokerConnections(connectionName: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', [
    'list_connections',
    'pid',
    'client_properties',
    '--quiet',
    '--no-table-headers',
  ]);
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`"connection_name","${connectionName}"`))
    .map((line) => line.split('\t')[0]!.trim());
  for (const pid of pids) await run('rabbitmqctl', ['close_connection', pid, 'test: server-side close']);
  return pids.length;
}

/**
 * Stops `dbName` accepting connections and ends every session on it except `spare` (the test's own
 * client, by backend pid). Returns the function that lets connections in again.
 */
export async function lockOutDatabase(dbName: string, spare: number): Promise<() => Promise<void>> {
  const root = new Client({ connectionString: `${PG_ROOT}/postgres` });
  await root.connect();
  try {
    await root.query(`alter database ${dbName} allow_connections false`);
    await root.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> $2',
      [dbName, spare],
    );
  } finally {
    await root.end();
  }
  return async () => {
    const c = new Client({ connectionString: `${PG_ROOT}/postgres` });
    await c.connect();
    try {
      await c.query(`alter database ${dbName} allow_connections true`);
    } finally {
      await c.end();
    }
  };
}
