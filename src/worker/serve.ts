import type { Config } from '../config/schema';
import { untilSignal } from '../lib/until-signal';
import { createLogger } from '../observability/logger';
import { runWorker, type WorkerHooks } from './run-worker';

/**
 * `enhancer worker` as a process: runs until SIGTERM or SIGINT, then stops consuming, lets in-flight
 * jobs finish within SHUTDOWN_GRACE_MS and exits 0. Returns the exit code.
 */
export async function serveWorker(config: Config, hooks: WorkerHooks = {}): Promise<number> {
  const log = createLogger(config.log);
  return untilSignal(log, await runWorker(config, log, hooks), {
    stopping: 'stopping: no new jobs; waiting for in-flight ones',
    stopped: 'worker stopped',
    fields: { grace_ms: config.shutdownGraceMs },
  });
}
