import type { Clock, Timer } from '../../src/lib/clock.js';

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A Clock that only moves when told. `advance(ms)` fires every timer that falls due on the way, in
 * due-time order (ties in the order they were set), with `now()` equal to each timer's due time (or
 * later, for a timer overdue after `block`).
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Scheduled[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): Timer {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const entry: Scheduled = { at: this.current + delay, seq: this.seq++, fn };
    this.timers.push(entry);
    return {
      clear: () => {
        this.timers = this.timers.filter((t) => t !== entry);
      },
    };
  }

  /** Moves time forward by `ms`, firing due timers (including ones set by timers that fire). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms} ms`);
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = target;
  }

  /**
   * Moves time forward by `ms` without firing anything, as a handler that holds the event loop
   * would; the next `advance` fires the overdue timers late, at the time it is called.
   */
  block(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot block for ${ms} ms`);
    this.current += ms;
  }

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.timers.length;
  }

  private nextDue(limit: number): Scheduled | undefined {
    let best: Scheduled | undefined;
    for (const t of this.timers) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
