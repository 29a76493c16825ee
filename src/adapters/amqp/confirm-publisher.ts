import type { ConfirmChannel, Options } from 'amqplib';

/** Publishing that resolves when the broker confirmed, and waits when the socket buffer is full. */
export class ConfirmPublisher {
  private draining: Promise<void> | undefined;

  constructor(readonly channel: ConfirmChannel) {}

  async publish(exchange: string, routingKey: string, body: Buffer, options: Options.Publish): Promise<void> {
    while (this.draining) await this.draining;
    await new Promise<void>((resolve, reject) => {
      const ok = this.channel.publish(exchange, routingKey, body, options, (err: unknown) =>
        err
          ? reject(err instanceof Error ? err : new Error('publish not confirmed by the broker'))
          : resolve(),
      );
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
