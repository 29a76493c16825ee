/**
 * Integration-test plumbing: every test file gets its own Postgres database and queue prefix, so
 * files run in parallel against the one local RabbitMQ and Postgres, and clean up after themselves.
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import amqp from 'amqplib';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { migrate } from '../../src/adapters/db/orm';
import { deleteTopology, describeTopology, names, type Names } from '../../src/adapters/amqp/topology';

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

/** A fresh database (migrated) and queue prefix named after the test file. */
export async function createTestEnv(label: string): Promise<TestEnv> {
  const id = `${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const prefix = `t.${id}`;
  const dbName = `enhancer_t_${id}`;
  const databaseUrl = `${PG_ROOT}/${dbName}`;
  await migrate(databaseUrl);
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
