import { EntitySchema } from '@mikro-orm/core';

export type HistoryStatus = 'pending' | 'completed' | 'failed';

/** One row per job: its lifecycle pending → completed | failed. */
export interface EnhancementHistory {
  id: string;
  jobId: string;
  /** Null only for a poison message whose ticket could not be read. */
  ticketId: string | null;
  tenantId: string;
  status: HistoryStatus;
  /** The attempt that owns the row; results of any other attempt are fenced out. */
  attempts: number;
  resultSummary: string | null;
  errorMessage: string | null;
  processingTimeMs: number | null;
  /** The note and what it was built from (see src/pipeline/context/result.ts); null before completion. */
  result: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

export const EnhancementHistorySchema = new EntitySchema<EnhancementHistory>({
  name: 'EnhancementHistory',
  tableName: 'enhancement_history',
  properties: {
    id: { type: 'uuid', primary: true, defaultRaw: 'gen_random_uuid()' },
    jobId: { type: 'uuid', unique: true },
    ticketId: { type: 'string', length: 128, nullable: true },
    tenantId: { type: 'string', length: 64 },
    status: { type: 'string', length: 16 },
    attempts: { type: 'integer', default: 0 },
    resultSummary: { type: 'text', nullable: true },
    errorMessage: { type: 'text', nullable: true },
    processingTimeMs: { type: 'integer', nullable: true },
    result: { type: 'json', nullable: true },
    createdAt: { type: 'datetime', defaultRaw: 'now()' },
    updatedAt: { type: 'datetime', defaultRaw: 'now()' },
  },
});
