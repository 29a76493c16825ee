import type { Config } from '../config/schema.js';
import { untilSignal } from '../lib/until-signal.js';
import { createLogger } from '../observability/logger.js';
import { DRAIN_GRACE_MS, runIngest } from './run-ingest.js';

/**
 * `enhancer ingest` as a process: serves until SIGTERM or SIGINT, then refuses new connections, lets
 * requests in flight get their broker confirm (at most DRAIN_GRACE_MS), closes and exits 0.
 */
export async function serveIngest(config: Config): Promise<number> {
  const log = createLogger(config.log);
  return untilSignal(log, runIngest(config, log), {
    stopping: 'stopping: no new requests; finishing those in flight',
    stopped: 'ingest stopped',
    fields: { grace_ms: DRAIN_GRACE_MS },
    // Draining the webhook, then closing the broker link and the tracer, each bounded.
    stopWithinMs: DRAIN_GRACE_MS + 10_000,
  });
}
