/** Jobs, attempt recording and dead-letter reading for tests against the real broker. */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import type { Job } from '../../src/domain/job.js';
import type { Enhancer } from '../../src/pipeline/enhancer.js';
import { simulateEnhancer, realEffects } from '../../src/pipeline/simulate.js';
import type { Names } from '../../src/adapters/amqp/topology.js';
import { AMQP_URL } from './services.js';

export function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    job_id: randomUUID(),
    ticket_id: `T-${Math.floor(Math.random() * 1e6)}`,
    tenant_id: 'acme',
    description: 'printer on floor 3 is on fire',
    priority: 'high',
    timestamp: new Date().toISOString(),
    ...overrides,
  };
}

export interface AttemptRecord {
  readonly jobId: string;
  readonly attempt: number;
  readonly startedAt: number;
  endedAt?: number;
}

/** The simulate pipeline, recording every attempt it is asked to run. */
export function recordingEnhancer(): Enhancer & { readonly attempts: AttemptRecord[] } {
  const inner = simulateEnhancer(realEffects);
  const attempts: AttemptRecord[] = [];
  return {
    name: 'recording',
    attempts,
    async enhance(job, ctx) {
      const rec: AttemptRecord = { jobId: job.job_id, attempt: ctx.attempt, startedAt: Date.now() };
      attempts.push(rec);
      try {
        return await inner.enhance(job, ctx);
      } finally {
        rec.endedAt = Date.now();
      }
    },
  };
}

/** The raw dead-letter messages (headers included), left in place. */
export async function rawDeadLetters(n: Names): Promise<amqp.GetMessage[]> {
  const conn = await amqp.connect(AMQP_URL);
  const out: amqp.GetMessage[] = [];
  try {
    const ch = await conn.createChannel();
    for (;;) {
      const m = await ch.get(n.dead, { noAck: false });
      if (!m) break;
      out.push(m);
    }
    await ch.close();
  } finally {
    await conn.close();
  }
  return out;
}
