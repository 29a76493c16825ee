import amqp, { type ChannelModel } from 'amqplib';

/**
 * How long opening a connection may go without a byte from the broker. Without it, an address that
 * accepts TCP and then stays silent (a half-dead broker, a proxy) holds the open forever, and with it
 * every reconnect and shutdown waiting behind it. Once open, heartbeats watch the connection.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Every connection enhancer opens: named for `rabbitmqctl list_connections`, bounded while opening. */
export function connectAmqp(url: string, connectionName: string): Promise<ChannelModel> {
  return amqp.connect(url, {
    clientProperties: { connection_name: connectionName },
    timeout: CONNECT_TIMEOUT_MS,
  });
}
