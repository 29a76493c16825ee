import type { Fields, Logger } from '../observability/logger';

/**
 * A server process's life: runs until SIGTERM or SIGINT, then logs `stopping` and stops (once, however
 * many signals come), waits until it is done, logs `stopped` and returns exit code 0.
 */
export async function untilSignal(
  log: Logger,
  running: { stop(): Promise<void>; readonly done: Promise<void> },
  lines: { readonly stopping: string; readonly stopped: string; readonly fields: Fields },
): Promise<number> {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(lines.stopping, { signal, ...lines.fields });
    void running.stop();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await running.done;
  log.info(lines.stopped);
  return 0;
}
