import { backgroundClock, type Clock, type Timer } from '../lib/clock.js';

export interface LoopLagOptions {
  /** Production: `backgroundClock`, whose timers never keep the process alive. */
  readonly clock: Clock;
  /** How often it ticks. */
  readonly intervalMs: number;
  /** How long a lag is remembered, so a probe answered right after a long block still sees it. */
  readonly windowMs: number;
  /** Past this (strictly), `reason()` reports the process as wedged. */
  readonly maxLagMs: number;
}

/** How often the production monitor ticks: fine enough to see a stall, cheap enough to forget. */
export const LOOP_LAG_INTERVAL_MS = 500;

/**
 * Measures how late the event loop runs a timer. A handler that blocks the loop cannot be stopped by
 * any timer in the same thread; what can still be done is to notice afterwards (or, for a probe that
 * runs before the overdue tick, while the stall is still going on) and fail liveness, so the kubelet
 * restarts the pod.
 */
export class LoopLagMonitor {
  private timer: Timer | undefined;
  /** When the pending tick should fire. */
  private due = 0;
  /** Lags seen in the last `windowMs`, oldest first. */
  private samples: { readonly at: number; readonly lagMs: number }[] = [];

  constructor(private readonly opts: LoopLagOptions) {}

  start(): this {
    if (!this.timer) this.schedule();
    return this;
  }

  stop(): void {
    this.timer?.clear();
    this.timer = undefined;
  }

  /** The worst lag in the window, counting the tick that is overdue now (a stall not over yet). */
  worstLagMs(): number {
    const now = this.opts.clock.now();
    let worst = this.timer ? Math.max(0, now - this.due) : 0;
    for (const s of this.samples) if (s.at > now - this.opts.windowMs) worst = Math.max(worst, s.lagMs);
    return worst;
  }

  /** null while the loop keeps up, else why liveness should fail. */
  reason(): string | null {
    const worst = this.worstLagMs();
    const { windowMs, maxLagMs } = this.opts;
    if (worst <= maxLagMs) return null;
    return `event loop lag ${Math.round(worst)} ms in the last ${windowMs} ms, over the ${maxLagMs} ms bound`;
  }

  private schedule(): void {
    this.due = this.opts.clock.now() + this.opts.intervalMs;
    this.timer = this.opts.clock.setTimer(() => this.tick(), this.opts.intervalMs);
  }

  private tick(): void {
    const now = this.opts.clock.now();
    this.samples = this.samples.filter((s) => s.at > now - this.opts.windowMs);
    this.samples.push({ at: now, lagMs: Math.max(0, now - this.due) });
    this.schedule();
  }
}

/** The production monitor for a process's /healthz: background timers, the configured bounds. */
export function startLoopLagMonitor(health: { lagWindowMs: number; maxLoopLagMs: number }): LoopLagMonitor {
  return new LoopLagMonitor({
    clock: backgroundClock,
    intervalMs: LOOP_LAG_INTERVAL_MS,
    windowMs: health.lagWindowMs,
    maxLagMs: health.maxLoopLagMs,
  }).start();
}
