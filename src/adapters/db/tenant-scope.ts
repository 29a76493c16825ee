import type { EntityManager } from '@mikro-orm/postgresql';

export const TENANT_ROLE = 'enhancer_tenant';

/**
 * Runs `fn` in a transaction as the row-level-security role with `app.tenant_id` set locally, so
 * only that tenant's rows are visible even when the connection belongs to the table owner.
 */
export function withTenant<T>(
  em: EntityManager,
  tenantId: string,
  fn: (em: EntityManager) => Promise<T>,
): Promise<T> {
  return em.fork().transactional(async (tem) => {
    await tem.execute(`set local role ${TENANT_ROLE}`);
    await tem.execute(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
    return fn(tem);
  });
}
