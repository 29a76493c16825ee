import type { Config } from '../config/schema.js';
import { untilSignal } from '../lib/until-signal.js';
import { createLogger } from '../observability/logger.js';
import { runWorker, type WorkerHooks } from './run-worker.js';

/**
 * What a stop may take beyond SHUTDOWN_GRACE_MS: the 5 s in which aborted attempts settle, then closing
 * the broker link, the pool and the tracer, each bounded. Past it the process exits anyway.
 */
export const SHUTDOWN_MARGIN_MS = 10_000;

/**
 * `enhancer worker` as a process: runs until SIGTERM or SIGINT, then stops consuming, lets in-flight
 * jobs finish within SHUTDOWN_GRACE_MS and exits 0 (1 if the stop overran SHUTDOWN_MARGIN_MS more).
 * Returns the exit code.
 */
export async function serveWorker(config: Config, hooks: WorkerHooks = {}): Promise<number> {
  const log = createLogger(config.log);
  return untilSignal(log, runWorker(config, log, hooks), {
    stopping: 'stopping: no new jobs; waiting for in-flight ones',
    stopped: 'worker stopped',
    fields: { grace_ms: config.shutdownGraceMs },
    stopWithinMs: config.shutdownGraceMs + SHUTDOWN_MARGIN_MS,
  });
}
