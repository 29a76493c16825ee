import amqp, { type ChannelModel } from 'amqplib';
import { DEFAULTS, type AmqpBounds } from '../../config/schema.js';
import { backgroundClock } from '../../lib/clock.js';
import { watchSilence, type WatchedStream } from './silence-watch.js';

/**
 * Every connection enhancer opens: named for `rabbitmqctl list_connections`, and bounded.
 *
 * - Opening may go `connectTimeoutMs` without a byte from the broker: an address that accepts TCP and
 *   then stays silent (a half-dead broker, a proxy) would otherwise hold the open, and every reconnect
 *   and shutdown behind it, for ever.
 * - Once open, heartbeats every `heartbeatS` both ways (the client asks; the lower of the two offers
 *   wins), and a connection that has heard nothing for two of them is cut (see {@link watchSilence}):
 *   a partition (no FIN, no RST) is noticed within about 2 heartbeats, not the broker's 60 s default.
 * - TCP keepalive, so even a socket that nobody writes to learns its peer is gone.
 */
export async function connectAmqp(
  url: string,
  connectionName: string,
  bounds: AmqpBounds = DEFAULTS.amqp,
): Promise<ChannelModel> {
  const conn = await amqp.connect(withHeartbeat(url, bounds.heartbeatS), {
    clientProperties: { connection_name: connectionName },
    timeout: bounds.connectTimeoutMs,
    keepAlive: true,
    keepAliveDelay: bounds.keepAliveMs,
  });
  // Only once open: during the handshake amqplib reads step by step, between 'readable' listeners.
  const stream = socketOf(conn);
  if (stream) watchSilence(stream, 2 * bounds.heartbeatS * 1000, backgroundClock);
  return conn;
}

/** `url` asking for a `seconds` heartbeat (a `heartbeat` the URL already names gives way to the config). */
export function withHeartbeat(url: string, seconds: number): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url; // amqplib reports the bad URL itself
  }
  u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}

/**
 * Cuts `conn`'s socket at once. A close handshake, or the half-close amqplib does after a heartbeat
 * timeout, waits for a peer that may never answer, and the open socket would keep the process alive.
 * With an error, so amqplib (which listens for 'error' and 'end', not 'close') ends the connection
 * and stops its heartbeat timers; on a socket already closed it does nothing.
 */
export function destroySocket(conn: ChannelModel): void {
  socketOf(conn)?.destroy(new Error('socket cut: the broker did not answer in time'));
}

/** amqplib's socket under a connection (not in its typings). */
function socketOf(conn: ChannelModel): WatchedStream | undefined {
  return (conn as unknown as { connection?: { stream?: WatchedStream } }).connection?.stream;
}
