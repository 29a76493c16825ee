/**
 * The leak guard's registry (integration project, setupFilesAfterEnv): every AMQP connection, pg
 * client (alone, in a pg Pool or in knex's and MikroORM's pools) and child process a test file opens is
 * registered here until it closes, whoever opened it: the test, a helper, or the src code under test.
 * After the file's last afterAll, LeakGuardEnvironment fails the file if any is still open, listing
 * each with where it was opened, then closes them (as graphile-worker's test helpers do with pools).
 */
import childProcess, { type ChildProcess } from 'node:child_process';
import amqp from 'amqplib';
import pg from 'pg';

export interface OpenHandle {
  readonly what: string;
  /** The first frames of the stack that opened it, outside node_modules. */
  readonly where: string;
  close(): Promise<unknown>;
}

export interface LeakRegistry {
  readonly open: Set<OpenHandle>;
}

export const LEAK_REGISTRY = '__enhancerLeakRegistry';

const registry: LeakRegistry = { open: new Set() };
(globalThis as Record<string, unknown>)[LEAK_REGISTRY] = registry;

function openedAt(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  const ours = frames.filter(
    (f) => !f.includes('node_modules') && !f.includes('leak-guard') && !f.includes('node:'),
  );
  return (ours.slice(0, 3).join('\n') || frames.slice(0, 3).join('\n')).trim();
}

function track(what: string, close: () => Promise<unknown>): OpenHandle {
  const handle: OpenHandle = { what, where: openedAt(), close };
  registry.open.add(handle);
  return handle;
}

// AMQP: a connection counts as open from connect until its `close` event (however it closes).
type Connect = typeof amqp.connect;
const amqpModule = amqp as unknown as { connect: Connect; __unguarded?: Connect };
const amqpConnect = (amqpModule.__unguarded ??= amqpModule.connect);
amqpModule.connect = async function guardedConnect(this: unknown, ...args: Parameters<Connect>) {
  const url = typeof args[0] === 'string' ? args[0].replace(/\/\/[^@/]*@/, '//') : 'amqp';
  const conn = await amqpConnect.apply(this, args);
  const handle = track(`AMQP connection to ${url}`, () => conn.close().catch(() => undefined));
  conn.once('close', () => registry.open.delete(handle));
  return conn;
} as Connect;

// Postgres: every pg Client, from connect until its `end` event or a failed connect.
type PgConnect = (this: pg.Client, cb?: (err: Error | null) => void) => Promise<void> | undefined;
const clientProto = pg.Client.prototype as unknown as { connect: PgConnect; __unguarded?: PgConnect };
const pgConnect = (clientProto.__unguarded ??= clientProto.connect);
clientProto.connect = function guardedPgConnect(this: pg.Client, cb?: (err: Error | null) => void) {
  const self = this as pg.Client & { database?: string };
  const handle = track(`pg client of database ${self.database ?? '?'}`, () =>
    self.end().catch(() => undefined),
  );
  const forget = () => registry.open.delete(handle);
  self.once('end', forget);
  if (cb) {
    return pgConnect.call(self, (err) => {
      if (err) forget();
      cb(err);
    });
  }
  const p = pgConnect.call(self);
  p?.catch(forget);
  return p;
};

// Child processes started with spawn (the CLI, workers), until they exit.
type Spawn = typeof childProcess.spawn;
const cp = childProcess as unknown as { spawn: Spawn; __unguarded?: Spawn };
const spawn = (cp.__unguarded ??= cp.spawn);
cp.spawn = function guardedSpawn(this: unknown, ...args: unknown[]): ChildProcess {
  const child = (spawn as (...a: unknown[]) => ChildProcess).apply(this, args);
  const name = [args[0], ...(Array.isArray(args[1]) ? (args[1] as unknown[]).slice(0, 2) : [])].join(' ');
  const handle = track(`child process ${name} (pid ${child.pid ?? '?'})`, () =>
    Promise.resolve(child.kill('SIGKILL')),
  );
  child.once('exit', () => registry.open.delete(handle));
  child.once('error', () => registry.open.delete(handle));
  return child;
} as Spawn;
