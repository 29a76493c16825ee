import type { Config } from '../config/schema';
import { createLogger } from '../observability/logger';
import { runWorker, type WorkerHooks } from './run-worker';

/**
 * `enhancer worker` as a process: runs until SIGTERM or SIGINT, then stops consuming, lets in-flight
 * jobs finish within SHUTDOWN_GRACE_MS and exits 0. Returns the exit code.
 */
export async function serveWorker(config: Config, hooks: WorkerHooks = {}): Promise<number> {
  const log = createLogger(config.log);
  const running = await runWorker(config, log, hooks);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping: no new jobs; waiting for in-flight ones', {
      signal,
      grace_ms: config.shutdownGraceMs,
    });
    void running.stop();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await running.done;
  log.info('worker stopped');
  return 0;
}
