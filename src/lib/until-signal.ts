import { systemClock, type Clock } from '../domain/clock';
import type { Fields, Logger } from '../observability/logger';
import { settlesWithin } from './with-timeout';

/**
 * A server process's life: runs until SIGTERM or SIGINT, then logs `stopping` and stops (once, however
 * many signals come), waits until it is done, logs `stopped` and returns exit code 0.
 *
 * The stop is bounded: if it has not finished `stopWithinMs` after the signal (a peer that never
 * answers, a release that hangs), it logs why and returns 1 at once, and the caller exits with it. The
 * kubelet would otherwise wait for its own SIGKILL, and a `docker stop` for ever.
 */
export async function untilSignal(
  log: Logger,
  running: { stop(): Promise<void>; readonly done: Promise<void> },
  lines: {
    readonly stopping: string;
    readonly stopped: string;
    readonly fields: Fields;
    readonly stopWithinMs: number;
  },
  clock: Clock = systemClock,
): Promise<number> {
  let signalled: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => (signalled = resolve));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(lines.stopping, { signal, ...lines.fields });
    void running.stop();
    signalled();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // The bound starts with the signal; a process that ends by itself is not bounded here.
  const finished = await Promise.race([running.done.then(() => true as const), stopRequested]);
  if (finished === true || (await settlesWithin(clock, lines.stopWithinMs, running.done))) {
    log.info(lines.stopped);
    return 0;
  }
  log.error('stop did not finish in time; exiting anyway', { bound_ms: lines.stopWithinMs });
  return 1;
}
