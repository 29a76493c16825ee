import { createHash } from 'node:crypto';

/** Names the hash space, so these ids cannot collide with another system's name-based uuids. */
const NAMESPACE = 'enhancer ingest job_id v1';

/**
 * The job_id of a tenant's ticket posted at `nowMs`: a name-based uuid (version 5 layout) of the
 * tenant, the ticket and the dedup window it falls in. Every replica derives the same id within one
 * window, so a duplicate queued by two replicas is one job to the worker (its history row is keyed on
 * job_id), and a post after the window, always in a later window, is a new job.
 */
export function windowJobId(tenantId: string, ticketId: string, nowMs: number, windowMs: number): string {
  const window = Math.floor(nowMs / windowMs);
  const h = createHash('sha1')
    .update(`${NAMESPACE}\u0000${tenantId}\u0000${ticketId}\u0000${window}`)
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
