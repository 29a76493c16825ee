import { systemClock, type Clock } from './clock.js';
import { settlesWithin } from './with-timeout.js';

/** The lines untilSignal writes: observability's Logger fits it (lib/ imports no observability/). */
export interface SignalLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A started server: `stop` releases everything, `done` resolves once it has. */
export interface Running {
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

/**
 * A server process's life: starts, runs until SIGTERM or SIGINT, then logs `stopping` and stops (once,
 * however many signals come), waits until it is done, logs `stopped` and returns exit code 0.
 *
 * The signals are taken from the start: one that comes while the server is still starting stops it as
 * soon as it is up (a pod deleted during start-up still drains and closes its connections). From the
 * signal on, everything is bounded: if the server has not stopped `stopWithinMs` later (a peer that
 * never answers, a release or a start that hangs), it logs why and returns 1 at once, and the caller
 * exits with it. The kubelet would otherwise wait for its own SIGKILL, and a `docker stop` for ever.
 * A start that fails rejects, as before.
 */
export async function untilSignal(
  log: SignalLog,
  starting: Promise<Running>,
  lines: {
    readonly stopping: string;
    readonly stopped: string;
    readonly fields: Record<string, unknown>;
    readonly stopWithinMs: number;
  },
  clock: Clock = systemClock,
): Promise<number> {
  let signalled = false;
  let onSignal: (signal: string) => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => {
    onSignal = (signal) => {
      if (signalled) return;
      signalled = true;
      log.info(lines.stopping, { signal, ...lines.fields });
      resolve();
    };
  });
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  try {
    const life = (async () => {
      const running = await starting;
      await Promise.race([running.done, stopRequested]);
      if (signalled) await running.stop();
      await running.done;
    })();
    // Not bounded while it runs (a server ends when told to); bounded from the signal on.
    const endedFirst = await Promise.race([life.then(() => true), stopRequested.then(() => false)]);
    if (endedFirst || (await settlesWithin(clock, lines.stopWithinMs, life))) {
      await life; // a failed start rejects here
      log.info(lines.stopped);
      return 0;
    }
    log.error('stop did not finish in time; exiting anyway', { bound_ms: lines.stopWithinMs });
    return 1;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
}
