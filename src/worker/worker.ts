import { setMaxListeners } from 'node:events';
import type { Clock, Timer } from '../lib/clock.js';
import { errorMessage } from '../lib/error-message.js';
import type { Logger } from '../observability/logger.js';
import type { ConsumerLink, ConsumerPort, Delivery } from './ports.js';
import { processDelivery, type Outcome, type ProcessDeps } from './process-delivery.js';

export type WorkerState = 'starting' | 'running' | 'reconnecting' | 'draining' | 'stopped';

export interface WorkerOptions {
  /** WORKER_CONCURRENCY: the most jobs that run at once. */
  readonly concurrency: number;
  /**
   * WORKER_PREFETCH: deliveries asked of the broker, at least `concurrency` (its default). Those past
   * `concurrency` wait in hand, so a slot that frees starts the next job without a round trip to the
   * broker; a stop hands them back at once.
   */
  readonly prefetch?: number;
  readonly suspectPollMs: number;
  readonly log: Logger;
  readonly clock: Clock;
  /** Called after each delivery settles (tests and the demo count with it). */
  readonly onOutcome?: (outcome: Outcome) => void;
}

/** What processing needs besides the broker; the bus is bound to each link in turn. */
export type BaseDeps = Omit<ProcessDeps, 'bus'>;

/** The link being consumed from, and what the worker keeps about it. */
interface Current {
  readonly link: ConsumerLink;
  /** Republishes through this link only (see ConsumerLink). */
  readonly deps: ProcessDeps;
  /**
   * message ids delivered on this link and not yet settled, running or waiting for a slot, with how
   * many copies; suspects (redelivered, not vouched for) are not among them.
   */
  readonly holding: Map<string, number>;
}

/** A delivery as the worker holds it, from its arrival until it settles. */
interface Held {
  readonly current: Current;
  readonly d: Delivery;
  /** A redelivery trusted once: this process held it when its link dropped, so it killed nobody. */
  readonly ours: boolean;
  /** Counted in `holding`: it runs as a job here (not moved to the suspect queue). */
  readonly vouched: boolean;
}

/** What a delivery waiting for a slot is told: run now, or go back to the queue (the worker stops). */
type Turn = 'run' | 'hand-back';

/**
 * The consumer loop. Fresh jobs run up to `concurrency` at once. A redelivered job may be the one
 * that killed its previous worker, and every unacked message on a dying connection is charged a
 * delivery: so redelivered jobs are moved to the suspect queue, and the worker runs those one at a
 * time with nothing else in hand (consumer cancelled, in-flight jobs drained). A crashing job then
 * only ever takes itself down, and its own redelivery count ends it in the dead-letter queue.
 *
 * When the broker link drops, the port reconnects; the worker resumes on the new link. Jobs it was
 * holding when the link dropped are not suspects when they come back: this process is alive, so they
 * did not kill it.
 */
export class Worker {
  state: WorkerState = 'starting';
  private current?: Current;
  /** The running solo round, if any. */
  private soloRun?: Promise<void>;
  private poll?: Timer;
  private readonly inflight = new Set<Promise<void>>();
  /** Fresh jobs running now, and deliveries waiting for one of them to end (see onDelivery). */
  private running = 0;
  private readonly waiting: ((turn: Turn) => void)[] = [];
  /** Aborts running attempts when shutdown runs out of grace. */
  private readonly shutdown = abortController();
  /**
   * Jobs a link that dropped was running: their redeliveries are trusted once each, until the given
   * time (a copy redelivered to another worker must not stay trusted here for good).
   */
  private ownRedeliveries = new Map<string, number>();
  private base?: BaseDeps;

  constructor(
    private readonly opts: WorkerOptions,
    private readonly broker: ConsumerPort,
    /** May wait for resources opened alongside the broker connection (the ORM). */
    private readonly makeDeps: (shutdown: AbortSignal) => BaseDeps | Promise<BaseDeps>,
  ) {}

  async start(): Promise<void> {
    const link = await this.broker.connect({
      up: (l) => this.up(l),
      down: (l) => this.down(l),
    });
    try {
      this.base = await this.makeDeps(this.shutdown.signal);
    } catch (err) {
      await this.broker.close();
      throw err;
    }
    if (!link.open) throw new Error('the broker connection closed during start-up');
    this.install(link);
    this.state = 'running';
    await this.resume();
    this.schedulePoll();
    void this.checkSuspects(); // a crash may have left some
  }

  /** Null when ready to take jobs, else why not. */
  notReadyReason(): string | null {
    if (this.state === 'reconnecting') return 'AMQP connection lost; reconnecting';
    if (this.state !== 'running') return `worker is ${this.state}`;
    if (!this.current?.link.open) return 'AMQP channel closed';
    if (!this.current.link.consuming && !this.soloRun) return 'not consuming';
    return null;
  }

  /**
   * Stop consuming at once, let in-flight jobs finish for `graceMs`, then abort the rest (they are
   * republished at the same attempt) and close. What still holds a message then is returned to the
   * queue by the channel's close.
   */
  async stop(graceMs: number, forceMs = 5_000): Promise<void> {
    if (this.state === 'stopped' || this.state === 'draining') return;
    this.state = 'draining';
    this.poll?.clear();
    // First let a reconnect end (at once: its waits and tries are aborted), so no consumer it is
    // registering can hand out jobs after the drain below has begun.
    await this.broker.stopReconnecting();
    await this.current?.link.cancel();
    // Deliveries still waiting for a slot go back to the queue now, for other workers to take.
    const waiting = this.waiting.splice(0);
    if (waiting.length) this.opts.log.info('held jobs handed back to the queue', { jobs: waiting.length });
    for (const next of waiting) next('hand-back');
    if (!(await this.settled(graceMs))) {
      this.shutdown.abort();
      await this.settled(forceMs);
    }
    this.current = undefined;
    await this.broker.close();
    this.state = 'stopped';
  }

  private install(link: ConsumerLink): void {
    this.current = { link, deps: { ...this.base!, bus: link.bus }, holding: new Map() };
  }

  private schedulePoll(): void {
    this.poll = this.opts.clock.setTimer(() => {
      if (this.state === 'draining' || this.state === 'stopped') return;
      void this.checkSuspects();
      this.schedulePoll();
    }, this.opts.suspectPollMs);
  }

  /** The link went away; what is returned goes into the log line of the loss. */
  private down(link: ConsumerLink): Record<string, unknown> | void {
    const current = this.current;
    if (current?.link !== link) return;
    const trustedUntil = this.opts.clock.now() + TRUST_MS;
    this.ownRedeliveries = new Map([...current.holding.keys()].map((id) => [id, trustedUntil]));
    if (this.state !== 'running') return;
    this.state = 'reconnecting';
    return { jobs_held: current.holding.size };
  }

  private up(link: ConsumerLink): void {
    if (this.state !== 'reconnecting') return;
    this.install(link);
    this.state = 'running';
    void this.resume().then(() => this.checkSuspects());
  }

  /** Consume fresh jobs unless already doing so, running suspects, or not running. */
  private resume(): Promise<void> {
    const current = this.current;
    if (this.state !== 'running' || this.soloRun || !current?.link.open) return Promise.resolve();
    return current.link
      .consume(this.opts.prefetch ?? this.opts.concurrency, (d) => this.onDelivery(current, d))
      .catch((err: unknown) => current.link.drop(asError(err)));
  }

  /**
   * Up to `concurrency` deliveries run; the rest (up to the prefetch) wait here for a slot, unacked.
   * Prefetch bounds each link, not the process: after a reconnect the old link's jobs still run while
   * the new one is handed a full prefetch, and its deliveries wait too. One whose link dropped while
   * it waited is not run (the broker has it back).
   */
  private onDelivery(current: Current, d: Delivery): void {
    const id = d.messageId;
    const ours = d.redelivered && id !== undefined && this.trusted(id);
    // Only a job that runs here is vouched for later; one merely moved to the suspect queue is not.
    const vouched = (!d.redelivered || ours) && id !== undefined;
    if (vouched) current.holding.set(id, (current.holding.get(id) ?? 0) + 1);
    const held: Held = { current, d, ours, vouched };
    if (this.running < this.opts.concurrency) {
      this.running++;
      this.track(this.run(held));
      return;
    }
    this.track(
      new Promise<Turn>((resolve) => this.waiting.push(resolve)).then((turn): Promise<void> | void => {
        if (turn === 'hand-back') return this.handBack(held);
        if (current.link.open) return this.run(held);
        this.release();
        this.unhold(held);
      }),
    );
  }

  /** Hands a finished job's slot to the next waiting delivery, if any. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next('run');
    else this.running--;
  }

  private run(held: Held): Promise<void> {
    const { current, d, ours } = held;
    return processDelivery(d, current.deps, ours ? 'trusted' : 'fresh')
      .then((outcome) => {
        this.opts.onOutcome?.(outcome);
        if (outcome === 'quarantined') void this.enterSolo();
      })
      .finally(() => {
        this.release();
        this.unhold(held);
      });
  }

  /**
   * A delivery that never ran goes back to the queue as it came: republished at the same attempt
   * (confirmed, then acked), not nacked, which would mark it redelivered and charge it a delivery. A
   * suspect is moved to the suspect queue, as its turn would have. If the republish fails it is nacked.
   */
  private async handBack(held: Held): Promise<void> {
    const { current, d } = held;
    try {
      if (!current.link.open) return;
      if (d.redelivered && !held.ours) {
        this.opts.onOutcome?.(await processDelivery(d, current.deps, 'fresh'));
        return;
      }
      try {
        await current.deps.bus.delay(d, { attempt: d.attempt, delayMs: 0 });
        d.ack();
      } catch (err) {
        this.opts.log.warn('could not hand a waiting job back to the queue; nacked', {
          error_message: errorMessage(err),
        });
        d.nack();
      }
    } finally {
      this.unhold(held);
    }
  }

  private unhold({ current, d, vouched }: Held): void {
    const id = d.messageId;
    if (!vouched || id === undefined) return;
    const left = (current.holding.get(id) ?? 1) - 1;
    if (left > 0) current.holding.set(id, left);
    else current.holding.delete(id);
  }

  /** Takes `id`'s trust, if this worker holds it still. */
  private trusted(id: string): boolean {
    const until = this.ownRedeliveries.get(id);
    this.ownRedeliveries.delete(id);
    return until !== undefined && until > this.opts.clock.now();
  }

  private track(p: Promise<void>): void {
    const t = p.catch((err: unknown) =>
      this.opts.log.error('delivery handler failed', { error_message: errorMessage(err) }),
    );
    this.inflight.add(t);
    void t.finally(() => this.inflight.delete(t));
  }

  private async checkSuspects(): Promise<void> {
    const current = this.current;
    if (this.state !== 'running' || this.soloRun || !current?.link.open) return;
    try {
      if ((await current.link.suspectCount()) > 0) await this.enterSolo();
    } catch (err) {
      if (current.link.open)
        this.opts.log.warn('could not check the suspect queue', { error_message: errorMessage(err) });
    }
  }

  /** Run waiting suspects one by one with nothing else in hand, then go back to fresh jobs. */
  private enterSolo(): Promise<void> {
    // A round already running takes new suspects too: it runs until the suspect queue is empty.
    if (this.soloRun || this.state !== 'running') return this.soloRun ?? Promise.resolve();
    this.soloRun = this.runSuspects().finally(() => {
      this.soloRun = undefined;
      void this.resume();
    });
    return this.soloRun;
  }

  private async runSuspects(): Promise<void> {
    let current: Current | undefined;
    try {
      await this.current?.link.cancel();
      await Promise.all([...this.inflight]);
      // Bounded, so a stream of suspects cannot starve fresh jobs.
      for (let i = 0; i < Math.max(8, this.opts.concurrency) && this.state === 'running'; i++) {
        // Read each time: the link may have been replaced by a reconnect while we waited.
        current = this.current;
        if (!current?.link.open) return;
        const d = await current.link.nextSuspect();
        if (!d) return;
        // Not inside `onOutcome?.(…)`: without a hook its argument would never be evaluated.
        const outcome = await processDelivery(d, current.deps, 'solo');
        this.opts.onOutcome?.(outcome);
      }
    } catch (err) {
      // A dropped link is the reconnect's business; anything else drops it so we start clean.
      if (this.state !== 'running' || !current?.link.open) return;
      this.opts.log.error('running suspects failed', { error_message: errorMessage(err) });
      current.link.drop(asError(err));
    }
  }

  /** Resolves true once nothing is in flight, false if `ms` passed first. */
  private async settled(ms: number): Promise<boolean> {
    let timer: Timer | undefined;
    const timeout = new Promise<false>((r) => (timer = this.opts.clock.setTimer(() => r(false), ms)));
    const idle = (async () => {
      // Waits on the real work each round (never spins): new work may start while we wait.
      while (this.inflight.size > 0 || this.soloRun) await Promise.all([...this.inflight, this.soloRun]);
      return true as const;
    })();
    const result = await Promise.race([idle, timeout]);
    timer?.clear();
    return result;
  }
}

/**
 * How long jobs held when a link dropped stay trusted. The broker redelivers them as soon as they are
 * requeued, so their copies come back (here or elsewhere) within moments of the reconnect.
 */
const TRUST_MS = 60_000;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** One shutdown signal that every running attempt listens to: as many listeners as jobs in flight. */
function abortController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}
