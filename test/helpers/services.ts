/**
 * Integration-test plumbing: every test file gets its own Postgres database and queue prefix, so
 * files run in parallel against the one local RabbitMQ and Postgres, and clean up after themselves.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { migrate } from '../../src/adapters/db/orm.js';
import { deleteTopology, describeTopology, names, type Names } from '../../src/adapters/amqp/topology.js';

export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const PG_ROOT = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const CLI = path.resolve(__dirname, '../../dist/cli.js');

export interface TestEnv {
  readonly prefix: string;
  readonly dbName: string;
  readonly databaseUrl: string;
  readonly names: Names;
  /** Env vars for a worker or CLI child process. */
  readonly env: Record<string, string>;
  config(overrides?: Record<string, string>): Config;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  teardown(): Promise<void>;
}

const MIGRATIONS = path.resolve(__dirname, '../../src/adapters/db/migrations');

/**
 * The migrated template the test databases are cloned from, named by a hash of the migrations folder:
 * a changed migration makes a new one. Made once per migrations version (under an advisory lock, so
 * parallel jest workers wait for the first), then found by name. Cloning takes ~0.1 s where migrating
 * takes ~0.3-0.4 s. Old templates stay until dropped by hand (another checkout may still use one):
 * `psql -c "select datname from pg_database where datname like 'enhancer_tpl_%'"`.
 */
export function templateName(): string {
  const hash = createHash('sha256');
  for (const name of fs.readdirSync(MIGRATIONS).sort()) {
    hash
      .update(name)
      .update('\0')
      .update(fs.readFileSync(path.join(MIGRATIONS, name)))
      .update('\0');
  }
  return `enhancer_tpl_${hash.digest('hex').slice(0, 16)}`;
}

async function ensureTemplate(root: Client): Promise<string> {
  const name = templateName();
  const exists = async () =>
    (await root.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  if (await exists()) return name;
  await root.query(`select pg_advisory_lock(hashtext('enhancer test template'))`);
  try {
    if (await exists()) return name;
    // Migrated under another name, then renamed: a template is never seen half made.
    const building = `${name}_${randomBytes(3).toString('hex')}`;
    await migrate(`${PG_ROOT}/${building}`);
    await root.query(`alter database ${building} rename to ${name}`);
    return name;
  } finally {
    await root.query(`select pg_advisory_unlock(hashtext('enhancer test template'))`);
  }
}

/** A fresh database (cloned from the migrated template) and queue prefix named after the test file. */
export async function createTestEnv(label: string): Promise<TestEnv> {
  const id = `${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const prefix = `t.${id}`;
  const dbName = `enhancer_t_${id}`;
  const databaseUrl = `${PG_ROOT}/${dbName}`;
  const admin = new Client({ connectionString: `${PG_ROOT}/postgres` });
  await admin.connect();
  try {
    await admin.query(`create database ${dbName} template ${await ensureTemplate(admin)}`);
  } finally {
    await admin.end();
  }
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const env: Record<string, string> = {
    AMQP_URL,
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: prefix,
    HTTP_PORT: '0',
    LOG_LEVEL: 'info',
    RETRY_BASE_MS: '300',
    RETRY_JITTER: '0',
    SUSPECT_POLL_MS: '200',
  };
  return {
    prefix,
    dbName,
    databaseUrl,
    names: names(prefix),
    env,
    config: (overrides = {}) => loadConfig({ ...env, ...overrides }),
    query: async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
    teardown: async () => {
      await client.end();
      const conn = await amqp.connect(AMQP_URL);
      try {
        await deleteTopology(await conn.createChannel(), describeTopology(prefix, 5));
      } finally {
        await conn.close();
      }
      const root = new Client({ connectionString: `${PG_ROOT}/postgres` });
      await root.connect();
      await root.query(`drop database if exists ${dbName} with (force)`);
      await root.end();
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ChildWorker {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node dist/cli.js worker` as a separate process (for kill -9 and crash tests). */
export function spawnWorker(env: Record<string, string>): ChildWorker {
  const proc = spawn(process.execPath, [CLI, 'worker'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  proc.stderr.on('data', (chunk: Buffer) => lines.push(`stderr: ${chunk.toString()}`));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, lines, exited };
}

/** Resolves once the worker logged "worker started". */
export async function started(w: ChildWorker, timeoutMs = 15_000): Promise<true> {
  try {
    return await waitFor(
      'worker start',
      () => w.lines.some((l) => l.includes('"worker started"')),
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; it printed:\n${w.lines.slice(-10).join('\n')}`, {
      cause: err,
    });
  }
}

/** Ready messages in `queue`; 0 when it does not exist (yet). */
export async function queueDepth(queue: string): Promise<number> {
  const conn = await amqp.connect(AMQP_URL);
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    return (await ch.checkQueue(queue)).messageCount;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return 0;
    throw err;
  } finally {
    await conn.close().catch(() => undefined);
  }
}
