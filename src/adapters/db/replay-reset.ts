import type { MikroORM } from '@mikro-orm/postgresql';
import { replayResetStatement, undoReplayResetStatement } from './sql/history-ops.js';
import { statementTimeoutOf } from './orm.js';
import { tenantQuery } from './tenant-query.js';

/**
 * Before a dead letter is replayed: its row goes back to pending with no attempts, unless completed.
 * Sent as the job's tenant the way every tenant statement is (see {@link tenantQuery}).
 */
export async function resetForReplay(orm: MikroORM, jobId: string, tenantId: string): Promise<void> {
  await tenantQuery(orm.em.getKnex(), tenantId, replayResetStatement(jobId), {
    timeoutMs: statementTimeoutOf(orm),
  });
}

/** The replay's republish failed: the row returns to failed, as its dead letter stays queued. */
export async function undoReplayReset(
  orm: MikroORM,
  jobId: string,
  tenantId: string,
  error: string,
): Promise<void> {
  await tenantQuery(orm.em.getKnex(), tenantId, undoReplayResetStatement(jobId, error), {
    timeoutMs: statementTimeoutOf(orm),
  });
}
