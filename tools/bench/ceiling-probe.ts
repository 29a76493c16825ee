import type { ConsumerProcess } from './consumer-process.js';
import type { CompletedSpan, CompletionProbe, StatusCounts } from './history-probe.js';

/** What the bench asks the ceiling consumer over IPC (ceiling-consumer.ts answers). */
export type CeilingRequest =
  | { readonly id: number; readonly op: 'counts' }
  | { readonly id: number; readonly op: 'span' }
  | { readonly id: number; readonly op: 'at'; readonly jobIds: readonly string[] };

export type CeilingReply =
  | { readonly id: number; readonly completed: number }
  | { readonly id: number; readonly count: number; readonly firstMs: number; readonly lastMs: number }
  | { readonly id: number; readonly at: readonly (readonly [string, number])[] };

type Ask = CeilingRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/**
 * The ceiling's CompletionProbe: "completed" is "acknowledged", as the consumer itself recorded it
 * (Date.now() right after ack). `current` gives the process running now (the probe is opened
 * before the process starts, as a history probe is).
 */
export class CeilingProbe implements CompletionProbe {
  readonly serverPids: readonly number[] = [];

  constructor(private readonly current: () => ConsumerProcess | undefined) {}

  private ask<T>(request: Ask): Promise<T> {
    const proc = this.current();
    if (!proc) return Promise.reject(new Error('the ceiling consumer has not started'));
    return proc.ask<T>(request);
  }

  async counts(): Promise<StatusCounts> {
    const r = await this.ask<{ completed: number }>({ op: 'counts' });
    return { completed: r.completed, pending: 0, failed: 0 };
  }

  async completedSpan(): Promise<CompletedSpan> {
    const r = await this.ask<{ count: number; firstMs: number; lastMs: number }>({ op: 'span' });
    if (!r.count) throw new Error('no acknowledged jobs');
    return { count: r.count, firstMs: r.firstMs, lastMs: r.lastMs };
  }

  async completedAt(jobIds: readonly string[]): Promise<Map<string, number>> {
    const r = await this.ask<{ at: [string, number][] }>({ op: 'at', jobIds });
    return new Map(r.at);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
