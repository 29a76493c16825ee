/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it, over a
 * narrow port so the state machine runs against an in-memory fake and a fake clock.
 *
 * Glossary: the *holder* is the identity written in the Lease; a candidate *acquires* a Lease that is
 * free, released or expired; the leader *renews* it every retry period; a Lease has *expired* when the
 * observer has seen no change to it for its duration, by the observer's own clock (never by comparing
 * clocks across pods, which may disagree).
 */
import type { Clock, Timer } from '../domain/clock';
import { errorMessage } from '../domain/errors';
import type { Logger } from '../observability/logger';

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

/** The three Lease calls the elector makes. */
export interface LeaseApi {
  /** Undefined when the Lease does not exist. */
  read(name: string, namespace: string): Promise<LeaseRecord | undefined>;
  /** Throws {@link LeaseConflict} when it exists already. */
  create(name: string, namespace: string, lease: LeaseRecord): Promise<LeaseRecord>;
  /** Throws {@link LeaseConflict} when someone else wrote it since `lease.resourceVersion`. */
  replace(name: string, namespace: string, lease: LeaseRecord): Promise<LeaseRecord>;
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

  constructor(private readonly o: ElectorOptions) {}

  get isLeader(): boolean {
    return this.leading !== undefined;
  }

  start(): this {
    this.schedule(0);
    return this;
  }

  /** Stops trying; a leader steps down and releases the Lease, so another pod takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.clear();
    await this.ticking;
    this.stepDown('stopping');
    const last = this.observed?.record;
    if (last?.holder !== this.o.identity) return;
    let bound: Timer | undefined;
    try {
      // A hung API server must not hold up shutdown.
      await Promise.race([
        this.o.api.replace(this.o.name, this.o.namespace, {
          ...last,
          holder: '',
          renewTime: this.o.clock.now(),
        }),
        new Promise<void>((resolve) => (bound = this.o.clock.setTimer(resolve, this.o.renewDeadlineMs))),
      ]);
      this.o.log.info('lease released', { lease: this.o.name });
    } catch (err) {
      this.o.log.warn('could not release the lease; it expires by itself', {
        lease: this.o.name,
        error_message: errorMessage(err),
      });
    } finally {
      bound?.clear();
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
      renewedAt = await this.tryAcquireOrRenew();
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

  /** Resolves to the time the successful write was sent, or undefined when another pod holds it. */
  private async tryAcquireOrRenew(): Promise<number | undefined> {
    const { api, name, namespace } = this.o;
    const now = this.o.clock.now();
    const current = await api.read(name, namespace);
    if (!current) {
      this.observe(await api.create(name, namespace, this.next(undefined, now)), now);
      return now;
    }
    this.observe(current, now);
    if (this.heldByOther(now)) return undefined;
    this.observe(await api.replace(name, namespace, this.next(current, now)), now);
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
    if (!this.leading) {
      this.leading = { controller: new AbortController() };
      this.o.log.info('became leader', { lease: this.o.name, holder: this.o.identity });
      this.o.onStartedLeading(this.leading.controller.signal);
    }
    const leading = this.leading;
    leading.watchdog?.clear();
    // Measured from when the write was sent, as others count expiry from when they saw it.
    const left = sentAt + this.o.renewDeadlineMs - this.o.clock.now();
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
