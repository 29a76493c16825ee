import type { Knex } from '@mikro-orm/postgresql';
import { classifyDbError } from './pg-errors';
import type { Statement } from './sql/history-ops';
import { TENANT_ROLE } from './tenant-scope';
import type { ConnectionPool, QueryClient } from './bounded-query';
import type { PgLinks } from './pg-links';
import { ANSWER_MARGIN_MS } from './orm';

/**
 * One statement as `tenantId`, in one round trip: a simple-protocol query holding the role, the tenant
 * setting and a statement_timeout (all transaction-local) and the statement, which Postgres runs as one
 * implicit transaction, so row-level security holds even on an owner's connection. It stops waiting
 * when `signal` aborts; the connection then counts as stalled (see PgLinks). Resolves to the
 * statement's rows. A statement Postgres cancelled at its timeout rejects with its own error (code
 * 57014); other failures are classified (data errors as ValidationError, the rest as
 * InfrastructureError).
 */
export async function tenantQuery<R>(
  knex: Knex,
  tenantId: string,
  s: Statement,
  opts: { readonly timeoutMs: number; readonly signal?: AbortSignal; readonly links?: PgLinks },
): Promise<R[]> {
  if (opts.signal?.aborted) throw opts.signal.reason;
  const inline = (x: Statement) => knex.raw(x.sql, x.bindings as Knex.RawBinding[]).toQuery();
  // One statement for the three settings: each statement of a round trip costs Postgres a parse.
  const head = inline({
    sql: `select set_config('role', '${TENANT_ROLE}', true), set_config('app.tenant_id', ?, true),
      set_config('statement_timeout', ?, true)`,
    bindings: [tenantId, String(Math.max(1, Math.round(opts.timeoutMs)))],
  });
  const sql = `${head};\n${inline(s)}`;
  const pool = knex.client as ConnectionPool;
  const client = (await pool.acquireConnection()) as QueryClient;
  // Bounded whatever the caller gave: a silent server answers neither the query nor its timeout.
  const boundMs = opts.timeoutMs + ANSWER_MARGIN_MS;
  let answered = false;
  let gaveUp = false;
  try {
    const out = await bounded(client.query(sql), boundMs, opts.signal, () => (gaveUp = true));
    answered = true;
    const list = (Array.isArray(out) ? out : [out]) as { rows: R[] }[];
    return list[1]?.rows ?? [];
  } catch (err) {
    // Postgres cancels at the statement timeout, and says so; a query still unanswered when its caller
    // gave up (the step's budget) may be on a silent socket: that connection, and every one opened
    // before it, is not used again.
    if (!answered && gaveUp) opts.links?.stalled(client);
    if ((err as { code?: unknown }).code === '57014') throw err;
    if (opts.signal?.aborted && err === opts.signal.reason) throw err;
    throw classifyDbError(err);
  } finally {
    await pool.releaseConnection(client);
  }
}

/**
 * `work`, or a rejection when `ms` pass or `signal` aborts first (the work goes on, unwatched; `onGiveUp`
 * is told). A timer and a listener, not AbortSignal.timeout/any: this runs for every read of every job.
 */
function bounded<T>(
  work: Promise<T>,
  ms: number,
  signal: AbortSignal | undefined,
  onGiveUp: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const giveUp = (reason: Error) => {
      onGiveUp();
      reject(reason);
    };
    const onAbort = () => giveUp(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal?.aborted) return onAbort();
    const timer = setTimeout(() => giveUp(new Error(`no answer from postgres within ${ms} ms`)), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}
