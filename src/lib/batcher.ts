/**
 * Group commit for asynchronous callers: items queue while earlier batches are being written, and the
 * next free slot takes everything queued (up to `maxBatch`) in one call of `run`, once the turn of the
 * event loop that queued them is over. Under light load a batch holds one item and waits for nothing
 * but the end of its turn; under heavy load batches grow and round trips shrink.
 */
export interface BatcherOptions<I, R> {
  /** Writes a batch; returns one result (or Error) per item, in order. */
  readonly run: (items: readonly I[]) => Promise<readonly (R | Error)[]>;
  readonly maxBatch: number;
  readonly maxInFlight: number;
  /** Items that may not share a batch (e.g. two writes to one row) return the same key. */
  readonly key?: (item: I) => string;
  /**
   * Calls `flush` once the current turn of the event loop is over; default setImmediate. A write's
   * results resume their callers in that turn, each a few awaits long, and what they submit (a job's
   * completion, the claim of the next job) must share the next write: taken at once, the write would
   * leave with the first of them and the rest wait a whole round trip (measured: 1.15x -> 1.30x the
   * naive worker's throughput, docs/benchmark.md).
   */
  readonly atTurnEnd?: (flush: () => void) => void;
}

import { AtTurnEnd } from './at-turn-end.js';

interface Pending<I, R> {
  readonly item: I;
  readonly resolve: (r: R) => void;
  readonly reject: (e: Error) => void;
}

export class Batcher<I, R> {
  private queue: Pending<I, R>[] = [];
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly turnEnd: AtTurnEnd;

  constructor(private readonly opts: BatcherOptions<I, R>) {
    this.turnEnd = new AtTurnEnd(() => this.pump(), opts.atTurnEnd);
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.turnEnd.request();
    });
  }

  /** Resolves once nothing is queued or being written. */
  drained(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.turnEnd.request();
        if (this.inFlight === 0 && this.queue.length === 0) this.idleWaiters.splice(0).forEach((r) => r());
      });
    }
  }

  private take(): Pending<I, R>[] {
    const seen = new Set<string>();
    const batch: Pending<I, R>[] = [];
    const rest: Pending<I, R>[] = [];
    for (const p of this.queue) {
      const k = this.opts.key?.(p.item);
      if (batch.length >= this.opts.maxBatch || (k !== undefined && seen.has(k))) rest.push(p);
      else {
        if (k !== undefined) seen.add(k);
        batch.push(p);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async write(batch: Pending<I, R>[]): Promise<void> {
    try {
      const results = await this.opts.run(batch.map((p) => p.item));
      batch.forEach((p, i) => {
        const r = results[i];
        if (r instanceof Error) p.reject(r);
        else if (r === undefined) p.reject(new Error('batch returned no result for an item'));
        else p.resolve(r);
      });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      batch.forEach((p) => p.reject(e));
    }
  }
}
