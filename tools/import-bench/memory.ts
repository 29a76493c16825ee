/**
 * Peak memory of a real `enhancer import` process: tickets generated here are piped into its stdin,
 * and its VmHWM (the kernel's high-water mark of resident memory) is read while it runs.
 */
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { childEnv } from '../../src/config/load.js';
import { mb, readMemory } from '../bench/proc-status.js';
import { sampleSource } from './sample-data.js';
import { PRODUCT_CLI } from '../product.js';

export interface MemoryRun {
  readonly rows: number;
  readonly peakRssMb: number;
  readonly seconds: number;
  readonly exitCode: number | null;
  /** The child's summary line. */
  readonly summary: string;
}

const CLI = PRODUCT_CLI;
const POLL_MS = 100;

export async function measureCliMemory(
  databaseUrl: string,
  rows: number,
  tenant: string,
): Promise<MemoryRun> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [CLI, 'import', 'tickets', '--tenant', tenant, '--file', '-', '--format', 'ndjson'],
    { env: childEnv({ DATABASE_URL: databaseUrl }), stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let summary = '';
  child.stdout.on('data', (c: Buffer) => (summary += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let peakKb = 0;
  const poll = setInterval(() => {
    readMemory(child.pid!).then(
      (m) => (peakKb = Math.max(peakKb, m.hwmKb)),
      () => undefined, // gone between two polls: the last reading stands
    );
  }, POLL_MS);
  try {
    await pipeline(sampleSource('tickets', 'ndjson', rows, 3), child.stdin);
    const exitCode = await exited;
    return {
      rows,
      peakRssMb: mb(peakKb),
      seconds: (Date.now() - started) / 1000,
      exitCode,
      summary: summary.trim(),
    };
  } finally {
    clearInterval(poll);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
