import type { Job } from '../../src/domain/job.js';

export const JOB_ID = '3f1c2a9e-8b7d-4c6e-9a5b-1d2e3f4a5b6c';

/** A valid job as plain JSON data; override or delete fields to make it invalid. */
export function jobData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    job_id: JOB_ID,
    ticket_id: 'TICKET-42',
    tenant_id: 'acme',
    description: 'The printer is on fire',
    priority: 'high',
    timestamp: '2026-11-28T10:00:00Z',
    ...overrides,
  };
}

export function validJob(overrides: Partial<Job> = {}): Job {
  return jobData(overrides) as Job;
}

export function jobBody(overrides: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify(jobData(overrides)));
}
