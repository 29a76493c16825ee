import type { Job } from '../../src/domain/job.js';
import type { JobSink } from './sinks.js';
import { sleep } from './wait.js';

export interface PacedResult {
  /** Date.now() just before each job was published, by job_id. */
  readonly publishedAt: Map<string, number>;
  /** How far behind its slot the worst publish went (the publisher's own timer lag), ms. */
  readonly maxLagMs: number;
  readonly elapsedMs: number;
}

/**
 * Publishes job i at start + i / rate seconds, on a timer schedule rather than in bursts: the loop
 * sleeps until the next slot and publishes only the jobs whose slot has come. Confirms are awaited
 * at the end, never in the loop, so a slow confirm cannot delay the schedule.
 */
export async function publishPaced(
  sink: JobSink,
  jobs: readonly Job[],
  ratePerSecond: number,
  signal?: AbortSignal,
): Promise<PacedResult> {
  const publishedAt = new Map<string, number>();
  const confirms: Promise<void>[] = [];
  const intervalMs = 1000 / ratePerSecond;
  const start = Date.now();
  let maxLagMs = 0;
  for (let i = 0; i < jobs.length;) {
    const due = start + i * intervalMs;
    const wait = due - Date.now();
    if (wait >= 1) {
      await sleep(Math.floor(wait), signal);
      continue;
    }
    const job = jobs[i]!;
    const now = Date.now();
    maxLagMs = Math.max(maxLagMs, now - due);
    publishedAt.set(job.job_id, now);
    confirms.push(sink.publish(job));
    i++;
  }
  await Promise.all(confirms);
  return { publishedAt, maxLagMs, elapsedMs: Date.now() - start };
}
