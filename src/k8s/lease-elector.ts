/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it, over a
 * narrow port so the state machine runs against an in-memory fake and a fake clock.
 *
 * Glossary: the *holder* is the identity written in the Lease; a candidate *acquires* a Lease that is
 * free, released or expired; the leader *renews* it every retry period; a Lease has *expired* when the
 * observer has seen no change to it for its duration, by the observer's own clock (never by comparing
 * clocks across pods, which may disagree).
 */
import type { Clock, Timer } from '../lib/clock.js';
import { errorMessage } from '../lib/error-message.js';
import { settlesWithin, withTimeout } from '../lib/with-timeout.js';
import type { Logger } from '../observability/logger.js';

/** A Lease as the elector sees it; times are epoch milliseconds. */
export interface LeaseRecord {
  /** Empty or absent: free (never held, or released). */
  readonly holder?: string;
  readonly durationMs: number;
  readonly acquireTime?: number;
  readonly renewTime?: number;
  readonly transitions: number;
  /** Absent on create; a replace carrying a stale one fails with {@link LeaseConflict}. */
  readonly resourceVersion?: string;
}

/** The three Lease calls the elector makes; `signal` aborts a call the elector gave up on. */
export interface LeaseApi {
  /** Undefined when the Lease does not exist. */
  read(name: string, namespace: string, signal?: AbortSignal): Promise<LeaseRecord | undefined>;
  /** Throws {@link LeaseConflict} when it exists already. */
  create(name: string, namespace: string, lease: LeaseRecord, signal?: AbortSignal): Promise<LeaseRecord>;
  /** Throws {@link LeaseConflict} when someone else wrote it since `lease.resourceVersion`. */
  replace(name: string, namespace: string, lease: LeaseRecord, signal?: AbortSignal): Promise<LeaseRecord>;
}

/** HTTP 409: another pod wrote the Lease first. */
export class LeaseConflict extends Error {
  override readonly name = 'LeaseConflict';
}

const isConflict = (err: unknown) =>
  err instanceof LeaseConflict || (err as Error | undefined)?.name === 'LeaseConflict';

export interface ElectorOptions {
  readonly api: LeaseApi;
  readonly clock: Clock;
  readonly log: Logger;
  readonly name: string;
  readonly namespace: string;
  readonly identity: string;
  readonly durationMs: number;
  /** The leader steps down when no renewal succeeded for this long (must be below durationMs). */
  readonly renewDeadlineMs: number;
  readonly retryMs: number;
  /** Leadership began; `signal` aborts the moment it ends. */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  readonly onStoppedLeading: () => void;
}

export class LeaderElector {
  private leading?: { readonly controller: AbortController; watchdog?: Timer };
  private observed?: { readonly record: LeaseRecord; readonly at: number };
  private timer?: Timer;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private stopping?: Promise<void>;

  constructor(private readonly o: ElectorOptions) {}

  get isLeader(): boolean {
    return this.leading !== undefined;
  }

  start(): this {
    this.schedule(0);
    return this;
  }

  /**
   * Stops trying; a leader steps down and releases the Lease, so another pod takes over at once. Takes
   * at most twice the renew deadline however the API server behaves: the tick under way gets one, the
   * release the other. Calling it again returns the same promise.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stepDownAndRelease();
    return this.stopping;
  }

  private async stepDownAndRelease(): Promise<void> {
    this.stopped = true;
    this.timer?.clear();
    const { clock, renewDeadlineMs } = this.o;
    if (!(await settlesWithin(clock, renewDeadlineMs, this.ticking))) {
      this.o.log.warn('lease update still under way at stop; not waiting for it', { lease: this.o.name });
    }
    this.stepDown('stopping');
    const last = this.observed?.record;
    if (last?.holder !== this.o.identity) return;
    try {
      await withTimeout(clock, renewDeadlineMs, 'releasing the lease', (signal) =>
        this.o.api.replace(
          this.o.name,
          this.o.namespace,
          { ...last, holder: '', renewTime: clock.now() },
          signal,
        ),
      );
      this.o.log.info('lease released', { lease: this.o.name });
    } catch (err) {
      this.o.log.warn('could not release the lease; it expires by itself', {
        lease: this.o.name,
        error_message: errorMessage(err),
      });
    }
  }

  private schedule(ms: number): void {
    this.timer = this.o.clock.setTimer(() => {
      this.ticking = this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    let renewedAt: number | undefined;
    try {
      // Bounded, so a hung API server cannot stall the loop: the next try comes a retry period later.
      renewedAt = await withTimeout(this.o.clock, this.o.renewDeadlineMs, 'lease update', (signal) =>
        this.tryAcquireOrRenew(signal),
      );
    } catch (err) {
      if (isConflict(err)) this.o.log.debug('lease written by another pod first', { lease: this.o.name });
      else this.o.log.warn('lease update failed', { lease: this.o.name, error_message: errorMessage(err) });
    }
    if (this.stopped) return;
    if (renewedAt !== undefined) this.held(renewedAt);
    else if (this.leading && this.heldByOther(this.o.clock.now())) {
      this.stepDown(`lease taken by ${this.observed?.record.holder}`);
    }
    this.schedule(this.o.retryMs);
  }

  /**
   * Resolves to the time the successful write was sent, or undefined when another pod holds it. An
   * answer that comes after `signal` aborted (the tick gave up on it) is not recorded.
   */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<number | undefined> {
    const { api, name, namespace, clock } = this.o;
    const current = await api.read(name, namespace, signal);
    signal.throwIfAborted();
    // Observed when the answer came, as client-go does: expiry never counts from before the read.
    const now = clock.now();
    if (current) {
      this.observe(current, now);
      if (this.heldByOther(now)) return undefined;
    }
    const next = this.next(current, now);
    const written = current
      ? await api.replace(name, namespace, next, signal)
      : await api.create(name, namespace, next, signal);
    signal.throwIfAborted();
    this.observe(written, clock.now());
    return now;
  }

  private next(current: LeaseRecord | undefined, now: number): LeaseRecord {
    const mine = current?.holder === this.o.identity;
    return {
      holder: this.o.identity,
      durationMs: this.o.durationMs,
      acquireTime: mine ? (current.acquireTime ?? now) : now,
      renewTime: now,
      transitions: current === undefined ? 0 : current.transitions + (mine ? 0 : 1),
      resourceVersion: current?.resourceVersion,
    };
  }

  /** Expiry counts from when this pod first saw the record's current version. */
  private observe(record: LeaseRecord, now: number): void {
    if (this.observed?.record.resourceVersion !== record.resourceVersion || !record.resourceVersion) {
      this.observed = { record, at: now };
    }
  }

  private heldByOther(now: number): boolean {
    const seen = this.observed;
    if (!seen?.record.holder || seen.record.holder === this.o.identity) return false;
    return now < seen.at + seen.record.durationMs;
  }

  private held(sentAt: number): void {
    // Measured from when the write was sent, as others count expiry from when they saw it.
    const left = sentAt + this.o.renewDeadlineMs - this.o.clock.now();
    if (left <= 0) {
      // The write took so long that the leadership it won is already over: do not hand it out.
      if (this.leading) this.stepDown('renew deadline passed');
      else this.o.log.warn('lease acquired too late to lead', { lease: this.o.name, late_ms: -left });
      return;
    }
    if (!this.leading) {
      this.leading = { controller: new AbortController() };
      this.o.log.info('became leader', { lease: this.o.name, holder: this.o.identity });
      this.o.onStartedLeading(this.leading.controller.signal);
    }
    const leading = this.leading;
    leading.watchdog?.clear();
    leading.watchdog = this.o.clock.setTimer(() => this.stepDown('renew deadline passed'), left);
  }

  private stepDown(reason: string): void {
    const leading = this.leading;
    if (!leading) return;
    this.leading = undefined;
    leading.watchdog?.clear();
    leading.controller.abort(new Error(reason));
    this.o.log[reason === 'stopping' ? 'info' : 'warn']('leadership lost', { lease: this.o.name, reason });
    this.o.onStoppedLeading();
  }
}
