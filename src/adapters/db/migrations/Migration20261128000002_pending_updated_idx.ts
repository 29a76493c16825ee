import { Migration } from '@mikro-orm/migrations';

/**
 * The janitor's sweep looks only at pending rows idle past a cut-off: a partial index holds just those,
 * so the sweep no longer reads the whole history table every interval.
 */
export class Migration20261128000002PendingUpdatedIdx extends Migration {
  override up(): void {
    this.addSql(`create index if not exists enhancement_history_pending_updated_idx
      on enhancement_history (updated_at) where status = 'pending'`);
  }

  override down(): void {
    this.addSql(`drop index if exists enhancement_history_pending_updated_idx`);
  }
}
