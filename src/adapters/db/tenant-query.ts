import type { Knex } from '@mikro-orm/postgresql';
import { classifyDbError } from './pg-errors';
import { setTenant, type Statement } from './sql/history-ops';
import { TENANT_ROLE } from './tenant-scope';

/**
 * One statement as `tenantId`, in one round trip: a simple-protocol query holding `set local role`,
 * the tenant setting, a statement_timeout and the statement, which Postgres runs as one implicit
 * transaction, so row-level security holds even on an owner's connection. Resolves to the
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
  const head = [
    `set local role ${TENANT_ROLE}`,
    inline(setTenant(tenantId)),
    `set local statement_timeout = ${Math.max(1, Math.round(opts.timeoutMs))}`,
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
