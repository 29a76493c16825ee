import amqp, { type ChannelModel } from 'amqplib';
import { DEFAULTS, type AmqpBounds } from '../../config/schema';

/**
 * Every connection enhancer opens: named for `rabbitmqctl list_connections`, and bounded.
 *
 * - Opening may go `connectTimeoutMs` without a byte from the broker: an address that accepts TCP and
 *   then stays silent (a half-dead broker, a proxy) would otherwise hold the open, and every reconnect
 *   and shutdown behind it, for ever.
 * - Once open, heartbeats every `heartbeatS` both ways: amqplib drops a connection that has heard
 *   nothing for two to three of them, so a partition (no FIN, no RST) is noticed within that, instead of
 *   after the broker's 60 s default (the client asks; the lower of the two offers wins).
 * - TCP keepalive, so even a socket that nobody writes to learns its peer is gone.
 */
export function connectAmqp(
  url: string,
  connectionName: string,
  bounds: AmqpBounds = DEFAULTS.amqp,
): Promise<ChannelModel> {
  return amqp.connect(withHeartbeat(url, bounds.heartbeatS), {
    clientProperties: { connection_name: connectionName },
    timeout: bounds.connectTimeoutMs,
    keepAlive: true,
    keepAliveDelay: bounds.keepAliveMs,
  });
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
  const stream = (conn as unknown as { connection?: { stream?: { destroy?: (err: Error) => void } } })
    .connection?.stream;
  stream?.destroy?.(new Error('socket cut: the broker did not answer in time'));
}
