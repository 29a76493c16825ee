import type { Clock, Timer } from '../../lib/clock.js';

/** The socket as far as the watch needs it. */
export interface WatchedStream {
  on(event: 'data', listener: () => void): unknown;
  off(event: 'data', listener: () => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  destroy(err: Error): void;
}

/**
 * Cuts `stream` (with an error, so amqplib ends the connection) once nothing has been read from it for
 * `silentMs`. A broker sends a heartbeat every half interval while it has nothing else to say, so two
 * intervals of silence mean it is gone: with `silentMs` = 2 × the heartbeat, a partition is noticed
 * within 2¼ intervals. amqplib's own check needs two whole missed intervals counted on its timer, which
 * takes two to three.
 *
 * A 'data' listener beside amqplib's 'readable' one sees each chunk amqplib reads without changing how
 * it reads (the stream stays paused). A tick that comes late (this process's event loop was blocked, so
 * bytes may be waiting unread) judges nothing: the next one, after a turn of I/O, does.
 */
export function watchSilence(stream: WatchedStream, silentMs: number, clock: Clock): () => void {
  const tickMs = Math.max(50, Math.floor(silentMs / 8));
  let lastRead = clock.now();
  let lastTick = lastRead;
  let timer: Timer | undefined;
  const onData = () => {
    lastRead = clock.now();
  };
  const stop = () => {
    timer?.clear();
    stream.off('data', onData);
  };
  const tick = () => {
    const now = clock.now();
    const onTime = now - lastTick <= 2 * tickMs;
    lastTick = now;
    if (onTime && now - lastRead > silentMs) {
      stop();
      stream.destroy(new Error(`no frame from the broker for ${now - lastRead} ms`));
      return;
    }
    timer = clock.setTimer(tick, tickMs);
  };
  stream.on('data', onData);
  stream.once('close', stop);
  timer = clock.setTimer(tick, tickMs);
  return stop;
}
