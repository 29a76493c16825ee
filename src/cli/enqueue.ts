import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Config } from '../config/schema';
import { openProducer } from '../adapters/amqp/producer';
import { jobSchema, type Job } from '../domain/job';
import { startTracing } from '../observability/tracing';
import { UsageError } from './usage-error';

/** Validates every job first (nothing is published if one is bad), then publishes each with confirms. */
export async function enqueue(argv: string[], config: Config, out: (line: string) => void): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string' },
      'tenant-id': { type: 'string' },
      'ticket-id': { type: 'string' },
      description: { type: 'string' },
      priority: { type: 'string' },
      'job-id': { type: 'string' },
      'trace-id': { type: 'string' },
      simulate: { type: 'string' },
    },
    strict: true,
  });
  const jobs = values.file ? await jobsFromFile(values.file) : [jobFromFlags(values)];
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

function jobFromFlags(v: Record<string, string | boolean | undefined>): Job {
  let simulate: unknown;
  if (typeof v.simulate === 'string') {
    try {
      simulate = JSON.parse(v.simulate);
    } catch {
      throw new UsageError(`--simulate is not JSON: ${v.simulate}`);
    }
  }
  return complete(
    {
      job_id: v['job-id'],
      tenant_id: v['tenant-id'],
      ticket_id: v['ticket-id'],
      description: v.description ?? '',
      priority: v.priority ?? 'medium',
      trace_id: v['trace-id'],
      simulate,
    },
    'flags',
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
    jobs.push(complete(value as Record<string, unknown>, `${path}:${i + 1}`));
  });
  if (jobs.length === 0) throw new UsageError(`${path}: no jobs`);
  return jobs;
}

/** Fills job_id and timestamp when missing, then validates against the job contract. */
function complete(raw: Record<string, unknown>, where: string): Job {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const withDefaults = { job_id: randomUUID(), timestamp: new Date().toISOString(), ...defined };
  const parsed = jobSchema.safeParse(withDefaults);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${where}: ${issue?.path.join('.') || 'job'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
