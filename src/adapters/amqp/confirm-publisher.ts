import type { ConfirmChannel, Message, Options } from 'amqplib';

/** The broker confirmed the message, but no queue took it (a missing queue or binding): it is gone. */
export class UnroutableError extends Error {
  override readonly name = 'UnroutableError';
}

/**
 * Publishing that resolves when the broker confirmed, and waits when the socket buffer is full.
 *
 * A confirm alone does not mean a queue has the message: RabbitMQ confirms one it could route nowhere
 * and drops it. So every publish is `mandatory`, and one the broker hands back (basic.return, which
 * comes before its confirm) fails as UnroutableError. The message is matched by its correlation id,
 * which this class owns.
 */
export class ConfirmPublisher {
  private draining: Promise<void> | undefined;
  private seq = 0;
  private readonly returned = new Set<string>();

  constructor(readonly channel: ConfirmChannel) {
    channel.on('return', (msg: Message) => {
      const id: unknown = msg.properties.correlationId;
      if (typeof id === 'string') this.returned.add(id);
    });
  }

  /**
   * `signal` gives up a publish still waiting for the socket to drain (nothing was sent then); once
   * written, a message cannot be called back.
   */
  async publish(
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: Options.Publish,
    signal?: AbortSignal,
  ): Promise<void> {
    while (this.draining) await this.draining;
    signal?.throwIfAborted();
    const id = String(++this.seq);
    await new Promise<void>((resolve, reject) => {
      const sent = { ...options, mandatory: true, correlationId: id };
      const ok = this.channel.publish(exchange, routingKey, body, sent, (err: unknown) => {
        if (err) return reject(err instanceof Error ? err : new Error('publish not confirmed by the broker'));
        if (this.returned.delete(id)) {
          return reject(
            new UnroutableError(`no queue took the message (exchange "${exchange}", key "${routingKey}")`),
          );
        }
        resolve();
      });
      if (!ok && !this.draining) {
        this.draining = new Promise<void>((r) => {
          const done = () => {
            this.channel.off('drain', done);
            this.channel.off('close', done);
            this.draining = undefined;
            r();
          };
          this.channel.on('drain', done);
          this.channel.on('close', done);
        });
      }
    });
  }
}

export function jobProperties(jobId: string | undefined, headers: Record<string, unknown>): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    messageId: jobId,
    headers,
  };
}
