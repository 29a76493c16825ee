import type { Knex } from '@mikro-orm/postgresql';
import { systemClock } from '../../lib/clock.js';
import { boundedQuery, type ConnectionPool } from './bounded-query.js';
import { ANSWER_MARGIN_MS } from './orm.js';
import { classifyDbError } from './pg-errors.js';
import type { PgLinks } from './pg-links.js';
import { inline, type Statement } from './sql/statement.js';
import { tenantScope } from './tenant-scope.js';

/**
 * One statement as `tenantId`, in one round trip: its {@link tenantScope} (the role, the tenant setting
 * and a statement_timeout, all transaction-local) and the statement, which Postgres runs as one
 * implicit transaction, so row-level security holds even on an owner's connection. Sent through
 * {@link boundedQuery}: it stops waiting when `signal` aborts or the answer is late, and the connection
 * then counts as stalled (see PgLinks). Resolves to the statement's rows. A statement Postgres
 * cancelled at its timeout rejects with its own error (code 57014); other failures are classified
 * (data errors as ValidationError, the rest as InfrastructureError).
 */
export async function tenantQuery<R>(
  knex: Knex,
  tenantId: string,
  s: Statement,
  opts: { readonly timeoutMs: number; readonly signal?: AbortSignal; readonly links?: PgLinks },
): Promise<R[]> {
  if (opts.signal?.aborted) throw opts.signal.reason;
  const scope = tenantScope(tenantId, { statementTimeoutMs: opts.timeoutMs });
  const sql = `${inline(knex, scope)};\n${inline(knex, s)}`;
  // Bounded whatever the caller gave: a silent server answers neither the query nor its timeout.
  const bounds = {
    pool: knex.client as ConnectionPool,
    links: opts.links,
    clock: systemClock,
    timeoutMs: opts.timeoutMs + ANSWER_MARGIN_MS,
  };
  try {
    const out = await boundedQuery(bounds, sql, opts.signal);
    const list = (Array.isArray(out) ? out : [out]) as { rows: R[] }[];
    return list[1]?.rows ?? [];
  } catch (err) {
    // Postgres cancels at the statement timeout, and says so; a query still unanswered when its caller
    // gave up (the step's budget) was on a connection boundedQuery has marked stalled.
    if ((err as { code?: unknown }).code === '57014') throw err;
    if (opts.signal?.aborted && err === opts.signal.reason) throw err;
    throw classifyDbError(err);
  }
}
