import type { Statement } from './sql/statement.js';

/** The role every tenant's statements run as; the policies on the tenant tables are written for it. */
export const TENANT_ROLE = 'enhancer_tenant';

/**
 * The one statement that puts the rest of a transaction under row-level security as `tenantId`: the
 * tenant role and `app.tenant_id`, and optionally a statement_timeout, all transaction-local (so a
 * pooled connection carries nothing over). Run first in the transaction: the history batches, the
 * context and write-back reads, the replay, the import. `SET LOCAL` takes no bind parameters, hence
 * set_config; one statement for all of them, as each statement of a round trip costs Postgres a parse.
 */
export function tenantScope(
  tenantId: string,
  opts: { readonly statementTimeoutMs?: number } = {},
): Statement {
  const timeout = opts.statementTimeoutMs;
  return timeout === undefined
    ? {
        sql: `select set_config('role', '${TENANT_ROLE}', true), set_config('app.tenant_id', ?, true)`,
        bindings: [tenantId],
      }
    : {
        sql: `select set_config('role', '${TENANT_ROLE}', true), set_config('app.tenant_id', ?, true),
      set_config('statement_timeout', ?, true)`,
        bindings: [tenantId, String(Math.max(1, Math.round(timeout)))],
      };
}
