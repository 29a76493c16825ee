import { readFile } from 'node:fs/promises';
import { sleep } from './wait.js';

/** Above this share of all cores busy before the bench starts, its figures are not to be trusted. */
export const BUSY_WARNING_PCT = 15;

async function cpuTicks(): Promise<{ busy: number; total: number }> {
  const first = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal ...
  const v = first.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** How busy the whole machine is (all cores, %) over `ms`: other work skews every figure here. */
export async function machineBusyPct(ms: number, signal?: AbortSignal): Promise<number> {
  const a = await cpuTicks();
  await sleep(ms, signal);
  const b = await cpuTicks();
  return b.total === a.total ? 0 : Math.round((100 * (b.busy - a.busy)) / (b.total - a.total));
}

/**
 * Waits (at most `maxMs`) until the machine is quiet: what an earlier phase left running (Postgres
 * writing back the rows an import dirtied, autovacuum after it, RabbitMQ compacting a queue's log)
 * would otherwise be measured as the next phase's cost. Returns how busy it was over the last second.
 */
export async function waitForQuiet(maxMs: number, signal?: AbortSignal): Promise<number> {
  const until = Date.now() + maxMs;
  let busy = await machineBusyPct(1000, signal);
  while (busy > BUSY_WARNING_PCT && Date.now() < until) busy = await machineBusyPct(1000, signal);
  return busy;
}
