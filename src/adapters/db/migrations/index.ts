import { Migration20261128000001History } from './Migration20261128000001_history.js';
import { Migration20261128000002PendingUpdatedIdx } from './Migration20261128000002_pending_updated_idx.js';
import { Migration20261206000001Context } from './Migration20261206000001_context.js';

/** Every migration, in order. Listed, not globbed, so the same code runs from src/ and dist/. */
export const migrationsList = [
  { name: 'Migration20261128000001_history', class: Migration20261128000001History },
  {
    name: 'Migration20261128000002_pending_updated_idx',
    class: Migration20261128000002PendingUpdatedIdx,
  },
  { name: 'Migration20261206000001_context', class: Migration20261206000001Context },
];
