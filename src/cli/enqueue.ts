import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { Config } from '../config/schema.js';
import { openProducer } from '../adapters/amqp/producer.js';
import { jobSchema, type Job } from '../domain/job.js';
import { startTracing } from '../observability/tracing.js';
import { refusal, shown } from '../lib/schema-words.js';
import type { EnqueueFlags } from './flags.js';
import { UsageError } from './usage-error.js';

/** Validates every job first (nothing is published if one is bad), then publishes each with confirms. */
export async function enqueue(
  flags: EnqueueFlags,
  config: Config,
  out: (line: string) => void,
): Promise<void> {
  const jobs = flags.file ? await jobsFromFile(flags.file) : [jobFromFlags(flags)];
  // Each job is published in its own PRODUCER span (exported only when OTEL_* configures an
  // exporter), flushed before the command returns.
  const tracing = await startTracing(config);
  try {
    const producer = await openProducer(config);
    try {
      for (const job of jobs) {
        await producer.publishJob(job);
        out(job.job_id);
      }
    } finally {
      await producer.close();
    }
  } finally {
    await tracing.shutdown();
  }
}

/** Each job field, as the flag that sets it. */
const FLAG_OF: Record<string, string> = {
  job_id: '--job-id',
  tenant_id: '--tenant-id',
  ticket_id: '--ticket-id',
  description: '--description',
  priority: '--priority',
  trace_id: '--trace-id',
  simulate: '--simulate',
};

function jobFromFlags(v: EnqueueFlags): Job {
  for (const flag of ['tenantId', 'ticketId'] as const) {
    if (v[flag] === undefined) {
      throw new UsageError(
        `${flag === 'tenantId' ? '--tenant-id' : '--ticket-id'} is required (or --file jobs.ndjson)`,
      );
    }
  }
  let simulate: unknown;
  if (typeof v.simulate === 'string') {
    try {
      simulate = JSON.parse(v.simulate);
    } catch {
      throw new UsageError(`--simulate must be JSON, got ${shown(v.simulate)}`);
    }
  }
  return complete(
    {
      job_id: v.jobId,
      tenant_id: v.tenantId,
      ticket_id: v.ticketId,
      description: v.description,
      priority: v.priority,
      trace_id: v.traceId,
      simulate,
    },
    (field) => FLAG_OF[field] ?? field,
  );
}

async function jobsFromFile(path: string): Promise<Job[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const jobs: Job[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`${path}:${i + 1}: not a JSON object`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UsageError(`${path}:${i + 1}: not a JSON object`);
    }
    jobs.push(complete(value as Record<string, unknown>, (field) => `${path}:${i + 1}: ${field}`));
  });
  if (jobs.length === 0) throw new UsageError(`${path}: no jobs`);
  return jobs;
}

/** Fills job_id and timestamp when missing, then validates against the job contract. */
function complete(raw: Record<string, unknown>, name: (field: string) => string): Job {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const withDefaults = { job_id: randomUUID(), timestamp: new Date().toISOString(), ...defined };
  const parsed = jobSchema.safeParse(withDefaults);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'job');
    const schema = (jobSchema.shape as Record<string, z.ZodType>)[field];
    throw new UsageError(
      refusal(
        name(field),
        schema,
        withDefaults[field as keyof typeof withDefaults],
        issue?.message ?? 'invalid',
      ),
    );
  }
  return parsed.data;
}
