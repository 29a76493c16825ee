import type { Knex } from '@mikro-orm/postgresql';
import type { LeaseOutcome, WritebackStore } from '../../pipeline/writeback/ports.js';
import { leaseStatement, releaseStatement, saveStatement } from './sql/writeback-ops.js';
import { tenantQuery } from './tenant-query.js';
import type { PgLinks } from './pg-links.js';

interface LeaseRow {
  note_id: string | null;
  earlier_leases: number;
  taken: boolean;
  held_ms: number | null;
}

/** The write-back's state on the job's history row, read and written as the job's tenant. */
export class PgWritebackStore implements WritebackStore {
  private readonly bound: { readonly timeoutMs: number; readonly links?: PgLinks };

  /** `timeoutMs`: each statement's statement_timeout; `links`: the pool's connections (see PgLinks). */
  constructor(
    private readonly knex: Knex,
    timeoutMs: number,
    links?: PgLinks,
  ) {
    this.bound = { timeoutMs, links };
  }

  async lease(jobId: string, tenantId: string, leaseMs: number): Promise<LeaseOutcome> {
    const [row] = await tenantQuery<LeaseRow>(
      this.knex,
      tenantId,
      leaseStatement(jobId, leaseMs),
      this.bound,
    );
    if (!row) throw new Error(`no history row for job ${jobId}`);
    if (row.note_id) return { kind: 'posted', noteId: row.note_id };
    if (!row.taken) return { kind: 'busy', heldForMs: row.held_ms ?? 0 };
    return { kind: 'leased', earlier: row.earlier_leases > 0 };
  }

  async release(jobId: string, tenantId: string): Promise<void> {
    await tenantQuery(this.knex, tenantId, releaseStatement(jobId), this.bound);
  }

  async save(jobId: string, tenantId: string, record: { note_id: string; how: 'posted' | 'adopted' }) {
    const rows = await tenantQuery(this.knex, tenantId, saveStatement(jobId, record), this.bound);
    return rows.length === 1;
  }
}
