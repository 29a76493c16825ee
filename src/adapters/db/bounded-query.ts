import type { Clock } from '../../lib/clock.js';
import { withTimeout } from '../../lib/with-timeout.js';
import type { PgLinks, RawPgClient } from './pg-links.js';

/** A pooled connection that can run a simple-protocol query (pg's Client). */
export interface QueryClient extends RawPgClient {
  query(sql: string): Promise<unknown>;
}

/** The pool, as knex's client offers it: acquiring is bounded by the pool's acquire timeout. */
export interface ConnectionPool {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

export interface QueryBounds {
  readonly pool: ConnectionPool;
  /** The pool's connections, so one that overran can be destroyed (with every older one). */
  readonly links?: PgLinks;
  readonly clock: Clock;
  /** How long the answer may take once the query is sent. */
  readonly timeoutMs: number;
}

/**
 * The one way this service sends SQL to Postgres: runs `sql` (one or more statements, one implicit
 * transaction) on a connection of the pool and waits for the answer at most `timeoutMs`, or until
 * `signal` aborts. Past that it rejects with a TimeoutError (an infrastructure failure to its caller),
 * or with the signal's reason, and the connection is destroyed along with every older one (see
 * {@link PgLinks}): a query stuck on a silent socket cannot hold up the ones after it, which go on over
 * fresh connections. The history writes, the janitor's sweep, the replay, the context and write-back
 * reads all come through here.
 */
export async function boundedQuery(b: QueryBounds, sql: string, signal?: AbortSignal): Promise<unknown> {
  const client = (await b.pool.acquireConnection()) as QueryClient;
  try {
    return await withTimeout(b.clock, b.timeoutMs, 'postgres query', () => client.query(sql), signal);
  } catch (err) {
    if (overran(err) || (signal?.aborted && err === signal.reason)) b.links?.stalled(client);
    throw err;
  } finally {
    await b.pool.releaseConnection(client);
  }
}

/** Ours, or pg's own `query_timeout` (the safety net on every connection, set a little longer). */
function overran(err: unknown): boolean {
  const e = err as Error | undefined;
  return e?.name === 'TimeoutError' || e?.message === 'Query read timeout';
}
