import { randomUUID } from 'node:crypto';
import type { Job } from '../../src/domain/job.js';

const priorities = ['low', 'medium', 'high', 'critical'] as const;

/** A valid job, small and typical: one helpdesk ticket. */
export function makeJob(i: number, tenants: number): Job {
  return {
    job_id: randomUUID(),
    ticket_id: `BENCH-${i}`,
    tenant_id: `bench-tenant-${i % tenants}`,
    description: `The printer on floor ${i % 7} jams on every duplex job since Monday (bench ticket ${i}).`,
    priority: priorities[i % priorities.length]!,
    timestamp: new Date().toISOString(),
  };
}
