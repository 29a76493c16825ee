import type { MikroORM } from '@mikro-orm/postgresql';
import { EnhancementHistorySchema } from './entities';
import { withTenant } from './tenant-scope';

/** Before a dead letter is replayed: its row goes back to pending with no attempts, unless completed. */
export async function resetForReplay(orm: MikroORM, jobId: string, tenantId: string): Promise<void> {
  await withTenant(orm.em, tenantId, (em) =>
    em.nativeUpdate(
      EnhancementHistorySchema,
      { jobId, status: { $ne: 'completed' } },
      { status: 'pending', attempts: 0, errorMessage: null, updatedAt: new Date() },
    ),
  );
}

/** The replay's republish failed: the row returns to failed, as its dead letter stays queued. */
export async function undoReplayReset(
  orm: MikroORM,
  jobId: string,
  tenantId: string,
  error: string,
): Promise<void> {
  await withTenant(orm.em, tenantId, (em) =>
    em.nativeUpdate(
      EnhancementHistorySchema,
      { jobId, status: 'pending', attempts: 0 },
      { status: 'failed', errorMessage: error, updatedAt: new Date() },
    ),
  );
}
