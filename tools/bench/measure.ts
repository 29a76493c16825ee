import type { BenchOptions } from './args';
import type { ConsumerProcess, Exit } from './consumer-process';
import type { ConsumerUnderTest } from './consumers';
import { HistoryProbe } from './history-probe';
import { makeJob } from './jobs';
import { publishPaced } from './paced-load';
import { mb, readCpuMs, readMemory } from './proc-status';
import { publishAll, type JobSink } from './sinks';
import { summarise, type LatencySummary } from './stats';
import { pollUntil, sleep } from './wait';

export interface ConsumerResult {
  readonly name: string;
  readonly jobs: number;
  readonly throughputJps: number;
  /** Spawn (in the bench) to the first completed row's updated_at. */
  readonly startupMs: number;
  readonly peakRssMb: number;
  readonly idleRssMb: number;
  /** CPU time of the consumer from spawn to the end of the throughput run (start-up included). */
  readonly cpuThroughputMs: number;
  /** CPU time of the consumer per job under paced load. */
  readonly cpuPerPacedJobMs: number;
  readonly latency: LatencySummary;
  /** The paced publisher's worst lag behind its schedule (if large, the load was not paced). */
  readonly publisherLagMs: number;
  readonly exit: Exit & { killed: boolean };
}

const STOP_TIMEOUT_MS = 60_000;

/** The throughput run alone, as the overhead variants are measured. */
export interface ThroughputResult {
  readonly name: string;
  readonly throughputJps: number;
  readonly cpuThroughputMs: number;
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
    const run = await throughputRun(c, o, log, signal, sink, probe, spawned);
    const started = run.proc;

    await sleep(o.idleSeconds * 1000, signal);
    started.assertRunning();
    const idleRssMb = mb((await readMemory(started.pid)).rssKb);

    const count = o.latencyRate * o.latencySeconds;
    const paced = Array.from({ length: count }, (_, i) => makeJob(o.jobs + i, o.tenants));
    log(`${c.name}: paced load, ${o.latencyRate} jobs/s for ${o.latencySeconds} s`);
    const cpuBefore = await readCpuMs(started.pid);
    const sent = await publishPaced(sink, paced, o.latencyRate, signal);
    await waitForCompleted(probe, started, o.jobs + count, o, signal);
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
      startupMs: run.startupMs,
      peakRssMb: run.peakRssMb,
      idleRssMb,
      cpuThroughputMs: run.cpuThroughputMs,
      cpuPerPacedJobMs,
      latency: summarise(latencies),
      publisherLagMs: sent.maxLagMs,
      exit: await stop(started, log),
    };
  });
}

/** Only the throughput run, then a graceful stop. */
export async function measureThroughput(
  c: ConsumerUnderTest,
  o: BenchOptions,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<ThroughputResult> {
  return session(c, async (sink, probe, spawned) => {
    const run = await throughputRun(c, o, log, signal, sink, probe, spawned);
    return {
      name: c.name,
      throughputJps: run.throughputJps,
      cpuThroughputMs: run.cpuThroughputMs,
      exit: await stop(run.proc, log),
    };
  });
}

/** Opens the consumer's sink and history probe for `fn`; afterwards kills its process if still up. */
async function session<T>(
  c: ConsumerUnderTest,
  fn: (sink: JobSink, probe: HistoryProbe, spawned: (p: ConsumerProcess) => void) => Promise<T>,
): Promise<T> {
  const sink = await c.openSink();
  let probe: HistoryProbe | undefined;
  let proc: ConsumerProcess | undefined;
  try {
    probe = await HistoryProbe.open(c.databaseUrl);
    return await fn(sink, probe, (p) => (proc = p));
  } finally {
    await proc?.kill();
    await sink.close();
    await probe?.close();
  }
}

/**
 * Publishes `o.jobs`, starts the consumer and waits until all are completed, scraping its metrics
 * every second meanwhile (as Prometheus would, only more often). `spawned` learns the process at
 * once, so the caller can kill it if this fails.
 */
async function throughputRun(
  c: ConsumerUnderTest,
  o: BenchOptions,
  log: (line: string) => void,
  signal: AbortSignal,
  sink: JobSink,
  probe: HistoryProbe,
  spawned: (p: ConsumerProcess) => void,
) {
  const jobs = Array.from({ length: o.jobs }, (_, i) => makeJob(i, o.tenants));
  const t = Date.now();
  await publishAll(sink, jobs);
  log(`${c.name}: published ${o.jobs} jobs in ${Date.now() - t} ms; starting the consumer`);

  const proc = c.start();
  spawned(proc);
  const scraper = c.metricsUrl ? scrapeEvery(c.metricsUrl, 1_000) : undefined;
  try {
    await waitForCompleted(probe, proc, o.jobs, o, signal);
  } finally {
    scraper?.stop();
  }
  const span = await probe.completedSpan();
  const run = {
    proc,
    throughputJps: (o.jobs - 1) / ((span.lastMs - span.firstMs) / 1000),
    startupMs: span.firstMs - proc.spawnedAt,
    peakRssMb: mb((await readMemory(proc.pid)).hwmKb),
    cpuThroughputMs: await readCpuMs(proc.pid),
  };
  const scraped = scraper ? `; /metrics scraped ${scraper.count()} times` : '';
  log(
    `${c.name}: ${o.jobs} completed in ${Math.round(span.lastMs - proc.spawnedAt)} ms after spawn${scraped}`,
  );
  return run;
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
  probe: HistoryProbe,
  proc: ConsumerProcess,
  target: number,
  o: BenchOptions,
  signal: AbortSignal,
): Promise<void> {
  await pollUntil(
    async () => {
      proc.assertRunning();
      const n = await probe.counts();
      return n.completed >= target ? n : undefined;
    },
    {
      everyMs: 100,
      timeoutMs: o.timeoutSeconds * 1000,
      signal,
      describe: async () => {
        const n = await probe.counts();
        return `${proc.name}: ${n.completed} of ${target} jobs completed (${n.pending} pending, ${n.failed} failed)${proc.describeExit()}`;
      },
    },
  );
}
