/**
 * "The same ticket" is the same tenant and ticket_id: posted again within the window, it gets the first
 * post's job_id and is not published again (a helpdesk retrying a webhook it thinks failed). The body is
 * not compared: an edit within the window is not a new job.
 *
 * Entries live in memory, one map per process, bounded to `maxEntries` (oldest dropped first). With
 * several ingest replicas, a retry that lands on another replica publishes again; the job_id is derived
from the tenant, ticket and window (windowJobId), so the worker still runs it once.
 *
 * A post that arrives while the first is still waiting for its broker confirm shares that wait and
 * its answer. A failed publish keeps its job_id for the window, so a retry that publishes again uses
 * the same job_id: if the first publish did reach the queue after all, the worker sees a duplicate
 * job_id and runs it once.
 */
export type Claim =
  /** Publish this job_id; then call `settle`. */
  | { readonly kind: 'publish'; readonly jobId: string; settle(ok: boolean): void }
  /** Already published within the window. */
  | { readonly kind: 'published'; readonly jobId: string }
  /** Being published by an earlier post: wait for that. */
  | { readonly kind: 'in-flight'; readonly jobId: string; readonly result: Promise<boolean> };

interface Entry {
  readonly jobId: string;
  readonly expiresAt: number;
  state: 'in-flight' | 'published' | 'failed';
  result?: Promise<boolean>;
}

export class Dedup {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  claim(tenantId: string, ticketId: string, nowMs: number, newJobId: () => string): Claim {
    this.evict(nowMs);
    const key = `${tenantId}\u0000${ticketId}`;
    const found = this.entries.get(key);
    if (found && found.expiresAt > nowMs) {
      if (found.state === 'published') return { kind: 'published', jobId: found.jobId };
      if (found.state === 'in-flight')
        return { kind: 'in-flight', jobId: found.jobId, result: found.result! };
      return this.start(found);
    }
    if (found) this.entries.delete(key);
    const entry: Entry = { jobId: newJobId(), expiresAt: nowMs + this.windowMs, state: 'in-flight' };
    // A zero window remembers nothing past the publish itself.
    if (this.windowMs > 0) this.entries.set(key, entry);
    return this.start(entry);
  }

  get size(): number {
    return this.entries.size;
  }

  private start(entry: Entry): Claim {
    entry.state = 'in-flight';
    let settle!: (ok: boolean) => void;
    entry.result = new Promise<boolean>((resolve) => (settle = resolve));
    return {
      kind: 'publish',
      jobId: entry.jobId,
      settle: (ok) => {
        entry.state = ok ? 'published' : 'failed';
        // Only waiters of an in-flight publish need it; settled entries keep just their id.
        entry.result = undefined;
        settle(ok);
      },
    };
  }

  /** Entries are in insertion order, which is expiry order (one window for all). */
  private evict(nowMs: number): void {
    for (const [key, e] of this.entries) {
      if (e.expiresAt > nowMs && this.entries.size < this.maxEntries) break;
      // An in-flight entry pushed out by the size bound still settles its waiters.
      this.entries.delete(key);
    }
  }
}
