import amqp, { type Channel } from 'amqplib';

/**
 * Undo actions registered as resources are created, run newest first at the end of the bench,
 * whether it succeeded or not. A failing action is reported and the others still run.
 */
export class Cleanup {
  private readonly actions: { label: string; run: () => Promise<void> }[] = [];

  constructor(private readonly log: (line: string) => void) {}

  add(label: string, run: () => Promise<void>): void {
    this.actions.push({ label, run });
  }

  async run(): Promise<boolean> {
    let ok = true;
    for (const a of this.actions.splice(0).reverse()) {
      try {
        await a.run();
        this.log(`cleanup: ${a.label}`);
      } catch (err) {
        ok = false;
        this.log(`cleanup FAILED: ${a.label}: ${(err as Error).message}`);
      }
    }
    return ok;
  }
}

/** Runs `fn` on a fresh channel of a fresh connection (broker objects are deleted this way). */
export async function onBroker(amqpUrl: string, fn: (ch: Channel) => Promise<void>): Promise<void> {
  const conn = await amqp.connect(amqpUrl, {
    clientProperties: { connection_name: 'enhancer-bench-cleanup' },
  });
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await fn(ch);
  } finally {
    await conn.close().catch(() => undefined);
  }
}
