/**
 * Glossary
 * - job: one enhancement request for one helpdesk ticket, identified by `job_id`.
 * - attempt: one run of the pipeline for a job; attempt 1 is the first, each retry adds one.
 * - poison: a message that can never become a valid job (too large, not JSON, fails the schema).
 * - suspect: a job redelivered by the broker (its previous holder died or let go of it); it may be
 *   the job that killed that worker, so it runs alone.
 */
import { z } from 'zod';

export const MAX_BODY_BYTES = 256 * 1024;
export const MAX_DESCRIPTION_BYTES = 64 * 1024;

export const priorities = ['low', 'medium', 'high', 'critical'] as const;

export const simulateSchema = z.strictObject({
  fail_times: z.number().int().min(0).optional(),
  sleep_ms: z.number().int().min(0).optional(),
  /** Blocks the event loop this long (a wedged handler, for liveness drills). */
  block_ms: z.number().int().min(0).optional(),
  ignore_abort: z.boolean().optional(),
  crash: z.boolean().optional(),
  error: z.enum(['transient', 'permanent']).optional(),
});

export const jobSchema = z.object({
  // Postgres hands uuids back in lower case; so does the contract, whatever the producer sent.
  job_id: z.uuid().transform((id) => id.toLowerCase()),
  ticket_id: z.string().min(1).max(128),
  tenant_id: z.string().min(1).max(64),
  description: z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_DESCRIPTION_BYTES, 'longer than 64 KiB'),
  priority: z.enum(priorities),
  timestamp: z.iso.datetime({ offset: true }),
  trace_id: z.string().min(1).max(128).optional(),
  simulate: simulateSchema.optional(),
});

export type Job = z.infer<typeof jobSchema>;
export type Simulate = z.infer<typeof simulateSchema>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID.test(v);
}
