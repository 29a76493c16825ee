import type { Knex } from '@mikro-orm/postgresql';
import { classifyDbError } from './pg-errors';
import type { Statement } from './sql/history-ops';
import { TENANT_ROLE } from './tenant-scope';

/**
 * One statement as `tenantId`, in one round trip: a simple-protocol query holding the role, the tenant
 * setting and a statement_timeout (all transaction-local) and the statement, which Postgres runs as one
 * implicit transaction, so row-level security holds even on an owner's connection. Resolves to the
 * statement's rows. A statement Postgres cancelled at its timeout rejects with its own error (code
 * 57014); other failures are classified (data errors as ValidationError, the rest as
 * InfrastructureError).
 */
export async function tenantQuery<R>(
  knex: Knex,
  tenantId: string,
  s: Statement,
  opts: { readonly timeoutMs: number; readonly signal?: AbortSignal },
): Promise<R[]> {
  if (opts.signal?.aborted) throw opts.signal.reason;
  const inline = (x: Statement) => knex.raw(x.sql, x.bindings as Knex.RawBinding[]).toQuery();
  // One statement for the three settings: each statement of a round trip costs Postgres a parse.
  const head = [
    inline({
      sql: `select set_config('role', '${TENANT_ROLE}', true), set_config('app.tenant_id', ?, true),
        set_config('statement_timeout', ?, true)`,
      bindings: [tenantId, String(Math.max(1, Math.round(opts.timeoutMs)))],
    }),
  ];
  try {
    const out: unknown = await knex.raw([...head, inline(s)].join(';\n'));
    const list = (Array.isArray(out) ? out : [out]) as { rows: R[] }[];
    return list[head.length]?.rows ?? [];
  } catch (err) {
    if ((err as { code?: unknown }).code === '57014') throw err;
    throw classifyDbError(err);
  }
}
