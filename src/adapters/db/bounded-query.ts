import type { Clock } from '../../lib/clock';
import { withTimeout } from '../../lib/with-timeout';
import type { PgLinks, RawPgClient } from './pg-links';

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
  readonly links: PgLinks;
  readonly clock: Clock;
  /** How long the answer may take once the query is sent. */
  readonly timeoutMs: number;
}

/**
 * Runs `sql` on a connection of the pool and waits for the answer at most `timeoutMs`. Past that it
 * rejects with a TimeoutError (an infrastructure failure to its caller) and the connection is
 * destroyed along with every older one (see {@link PgLinks}): a write stuck on a silent socket
 * cannot hold up the writes after it, which go on over fresh connections.
 */
export async function boundedQuery(b: QueryBounds, sql: string): Promise<unknown> {
  const client = (await b.pool.acquireConnection()) as QueryClient;
  try {
    return await withTimeout(b.clock, b.timeoutMs, 'postgres query', () => client.query(sql));
  } catch (err) {
    if (overran(err)) b.links.stalled(client);
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
