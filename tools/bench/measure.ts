import type { BenchOptions } from './args.js';
import { onBroker } from './cleanup.js';
import type { ConsumerProcess, Exit } from './consumer-process.js';
import type { ConsumerUnderTest } from './consumers.js';
import type { CompletionProbe } from './history-probe.js';
import { makeJob } from './jobs.js';
import { publishPaced } from './paced-load.js';
import { cpuPer1000, readGroups, type CpuPer1000, type CpuReading } from './process-cpu.js';
import { mb, readCpuMs, readMemory } from './proc-status.js';
import { publishAll, type JobSink } from './sinks.js';
import { summarise, type LatencySummary } from './stats.js';
import { pollUntil, sleep } from './wait.js';

export interface ConsumerResult {
  readonly name: string;
  readonly jobs: number;
  /** Jobs per second from the first completed job to the last. */
  readonly throughputJps: number;
  /** Jobs per second from the moment the process had attached to the queue to the last job. */
  readonly attachedJps: number;
  /** Spawn (in the bench) to the first completed row's updated_at. */
  readonly startupMs: number;
  readonly peakRssMb: number;
  readonly idleRssMb: number;
  /** CPU time of the consumer from spawn to the end of the throughput run (start-up included). */
  readonly cpuThroughputMs: number;
  /** Throughput run, from every process attached to the last job: CPU per 1000 jobs by process. */
  readonly cpu: CpuPer1000;
  /** CPU time of the consumer per job under paced load. */
  readonly cpuPerPacedJobMs: number;
  readonly latency: LatencySummary;
  /** The paced publisher's worst lag behind its schedule (if large, the load was not paced). */
  readonly publisherLagMs: number;
  readonly exit: Exit & { killed: boolean };
}

const STOP_TIMEOUT_MS = 60_000;

/** The throughput run alone, as the overhead variants and the scale-out curve are measured. */
export interface ThroughputResult {
  readonly name: string;
  readonly replicas: number;
  readonly throughputJps: number;
  /** Jobs per second from the moment every process had attached to the queue to the last job. */
  readonly attachedJps: number;
  readonly cpuThroughputMs: number;
  readonly cpu: CpuPer1000;
  readonly exit: Exit & { killed: boolean };
}

/** Throughput and start-up (one run), memory, latency under paced load, then a graceful stop. */
export async function measure(
  c: ConsumerUnderTest,
  o: BenchOptions,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<ConsumerResult> {
  return session(c, async (sink, probe, spawned) => {
    const run = await throughputRun(c, o, o.jobs, log, signal, sink, probe, spawned);
    const started = run.procs[0]!;

    await sleep(o.idleSeconds * 1000, signal);
    started.assertRunning();
    const idleRssMb = mb((await readMemory(started.pid)).rssKb);

    const count = o.latencyRate * o.latencySeconds;
    const paced = Array.from({ length: count }, (_, i) => makeJob(o.jobs + i, o.tenants));
    log(`${c.name}: paced load, ${o.latencyRate} jobs/s for ${o.latencySeconds} s`);
    const cpuBefore = await readCpuMs(started.pid);
    const sent = await publishPaced(sink, paced, o.latencyRate, signal);
    await waitForCompleted(probe, [started], o.jobs + count, o, signal);
    const cpuPerPacedJobMs = ((await readCpuMs(started.pid)) - cpuBefore) / count;
    const done = await probe.completedAt(paced.map((j) => j.job_id));
    const latencies = paced.map((j) => {
      const at = done.get(j.job_id);
      const before = sent.publishedAt.get(j.job_id);
      if (at === undefined || before === undefined)
        throw new Error(`${c.name}: job ${j.job_id} not completed`);
      return at - before;
    });

    return {
      name: c.name,
      jobs: o.jobs,
      throughputJps: run.throughputJps,
      attachedJps: run.attachedJps,
      startupMs: run.startupMs,
      peakRssMb: run.peakRssMb,
      idleRssMb,
      cpuThroughputMs: run.cpuThroughputMs,
      cpu: run.cpu,
      cpuPerPacedJobMs,
      latency: summarise(latencies),
      publisherLagMs: sent.maxLagMs,
      exit: await stop(started, log),
    };
  });
}

/** Only the throughput run (of `jobCount` jobs, default `o.jobs`), then a graceful stop. */
export async function measureThroughput(
  c: ConsumerUnderTest,
  o: BenchOptions,
  log: (line: string) => void,
  signal: AbortSignal,
  jobCount = o.jobs,
): Promise<ThroughputResult> {
  return session(c, async (sink, probe, spawned) => {
    const run = await throughputRun(c, o, jobCount, log, signal, sink, probe, spawned);
    const exits = [];
    for (const p of run.procs) exits.push(await stop(p, log));
    return {
      name: c.name,
      replicas: c.replicas,
      throughputJps: run.throughputJps,
      attachedJps: run.attachedJps,
      cpuThroughputMs: run.cpuThroughputMs,
      cpu: run.cpu,
      exit: exits.find((e) => e.code !== 0 || e.killed) ?? exits[0]!,
    };
  });
}

/** Opens the consumer's sink and probe for `fn`; afterwards kills its processes if still up. */
async function session<T>(
  c: ConsumerUnderTest,
  fn: (sink: JobSink, probe: CompletionProbe, spawned: (p: ConsumerProcess) => void) => Promise<T>,
): Promise<T> {
  const sink = await c.openSink();
  let probe: CompletionProbe | undefined;
  const procs: ConsumerProcess[] = [];
  try {
    probe = await c.openProbe();
    return await fn(sink, probe, (p) => procs.push(p));
  } finally {
    for (const p of procs) await p.kill();
    await sink.close();
    await probe?.close();
  }
}

/**
 * Publishes `jobCount` jobs, starts the consumer's processes and waits until all jobs are completed,
 * scraping their metrics every second meanwhile (as Prometheus would, only more often). `spawned`
 * learns each process at once, so the caller can kill it if this fails. CPU by process is read
 * from the moment every process has attached to the queue (start-up excluded) to the last job.
 */
async function throughputRun(
  c: ConsumerUnderTest,
  o: BenchOptions,
  jobCount: number,
  log: (line: string) => void,
  signal: AbortSignal,
  sink: JobSink,
  probe: CompletionProbe,
  spawned: (p: ConsumerProcess) => void,
) {
  const jobs = Array.from({ length: jobCount }, (_, i) => makeJob(i, o.tenants));
  const t = Date.now();
  await publishAll(sink, jobs);
  log(`${c.name}: published ${jobCount} jobs in ${Date.now() - t} ms; starting the consumer`);

  const procs: ConsumerProcess[] = [];
  for (let i = 0; i < c.replicas; i++) {
    const p = c.start(i);
    procs.push(p);
    spawned(p);
  }
  const scrapers = c.metricsUrls.map((url) => scrapeEvery(url, 1_000));
  const pids = () => procs.map((p) => p.pid);
  let attached: { at: number; completed: number; cpu: CpuReading };
  try {
    await waitForAttached(c, procs, o, signal);
    const cpu = await readGroups(pids(), probe.serverPids);
    attached = { at: Date.now(), completed: (await probe.counts()).completed, cpu };
    await waitForCompleted(probe, procs, jobCount, o, signal);
  } finally {
    for (const s of scrapers) s.stop();
  }
  const cpuAfter = await readGroups(pids(), probe.serverPids);
  const span = await probe.completedSpan();
  const first = procs[0]!;
  let peakKb = 0;
  let cpuThroughputMs = 0;
  for (const p of procs) {
    peakKb = Math.max(peakKb, (await readMemory(p.pid)).hwmKb);
    cpuThroughputMs += await readCpuMs(p.pid);
  }
  const measured = span.count - attached.completed;
  if (measured < span.count / 2) {
    log(
      `${c.name}: WARNING: only ${measured} of ${span.count} jobs ran after every process had ` +
        `attached; the attached-to-last figures rest on few jobs (raise --jobs)`,
    );
  }
  const run = {
    procs,
    throughputJps: (jobCount - 1) / ((span.lastMs - span.firstMs) / 1000),
    attachedJps: measured / (Math.max(1, span.lastMs - attached.at) / 1000),
    startupMs: span.firstMs - first.spawnedAt,
    peakRssMb: mb(peakKb),
    cpuThroughputMs,
    cpu: cpuPer1000(attached.cpu, cpuAfter, measured),
  };
  const scraped = scrapers.length
    ? `; /metrics scraped ${scrapers.map((s) => s.count()).join('+')} times`
    : '';
  log(
    `${c.name}: ${jobCount} completed in ${Math.round(span.lastMs - first.spawnedAt)} ms after spawn${scraped}`,
  );
  return run;
}

/** Until the queue has one consumer per process (checked every 10 ms on a connection of its own). */
async function waitForAttached(
  c: ConsumerUnderTest,
  procs: readonly ConsumerProcess[],
  o: BenchOptions,
  signal: AbortSignal,
): Promise<void> {
  let consumers = 0;
  await onBroker(o.amqpUrl, (ch) =>
    pollUntil(
      async () => {
        for (const p of procs) p.assertRunning();
        consumers = (await ch.checkQueue(c.queue)).consumerCount;
        return consumers >= c.replicas ? true : undefined;
      },
      {
        everyMs: 10,
        timeoutMs: o.timeoutSeconds * 1000,
        signal,
        describe: () => Promise.resolve(`${c.name}: ${consumers} of ${c.replicas} consumers on ${c.queue}`),
      },
    ).then(() => undefined),
  );
}

async function stop(proc: ConsumerProcess, log: (line: string) => void): Promise<Exit & { killed: boolean }> {
  log(`${proc.name}: stopping with SIGTERM`);
  const exit = await proc.stop(STOP_TIMEOUT_MS);
  if (exit.killed) log(`${proc.name}: did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; killed`);
  return exit;
}

/** GETs `url` every `ms` (failures, e.g. before the server is up, are not counted). */
function scrapeEvery(url: string, ms: number): { stop(): void; count(): number } {
  let ok = 0;
  const timer = setInterval(() => {
    fetch(url)
      .then(async (res) => {
        await res.text();
        if (res.ok) ok++;
      })
      .catch(() => undefined);
  }, ms);
  return { stop: () => clearInterval(timer), count: () => ok };
}

async function waitForCompleted(
  probe: CompletionProbe,
  procs: readonly ConsumerProcess[],
  target: number,
  o: BenchOptions,
  signal: AbortSignal,
): Promise<void> {
  await pollUntil(
    async () => {
      for (const p of procs) p.assertRunning();
      const n = await probe.counts();
      return n.completed >= target ? n : undefined;
    },
    {
      everyMs: 100,
      timeoutMs: o.timeoutSeconds * 1000,
      signal,
      describe: async () => {
        const n = await probe.counts();
        const exits = procs.map((p) => p.describeExit()).join('');
        return `${procs[0]!.name}: ${n.completed} of ${target} jobs completed (${n.pending} pending, ${n.failed} failed)${exits}`;
      },
    },
  );
}
