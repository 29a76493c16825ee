import {
  LeaderElector,
  LeaseConflict,
  type LeaseApi,
  type LeaseRecord,
} from '../../../src/k8s/lease-elector.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { RecordingLogger } from '../../helpers/fakes.js';
import { deferred, flushMicrotasks } from '../../helpers/deferred.js';

const DURATION = 15_000;
const DEADLINE = 10_000;
const RETRY = 2_000;

/** One Lease in memory with the API server's resourceVersion rules. */
class MemoryLeases implements LeaseApi {
  lease?: LeaseRecord;
  private version = 0;
  /** Runs between a caller's read and its replace: another writer sneaking in. */
  beforeReplace?: () => void;

  read(): Promise<LeaseRecord | undefined> {
    return Promise.resolve(this.lease);
  }
  create(_n: string, _ns: string, lease: LeaseRecord): Promise<LeaseRecord> {
    if (this.lease) return Promise.reject(new LeaseConflict('exists'));
    return Promise.resolve(this.write(lease));
  }
  replace(_n: string, _ns: string, lease: LeaseRecord): Promise<LeaseRecord> {
    this.beforeReplace?.();
    if (lease.resourceVersion !== this.lease?.resourceVersion)
      return Promise.reject(new LeaseConflict('stale'));
    return Promise.resolve(this.write(lease));
  }
  write(lease: LeaseRecord): LeaseRecord {
    this.lease = { ...lease, resourceVersion: String(++this.version) };
    return this.lease;
  }
}

/**
 * The api as one pod sees it: `down` makes every call fail, as a partition would; `hang` makes every
 * call never answer (ignoring its abort signal), as a hung API server would; `readDelayMs` makes the
 * next read answer that late; `createGate` holds the next create until it resolves.
 */
function podView(api: MemoryLeases, clock: FakeClock) {
  const never = new Promise<never>(() => undefined);
  const view = {
    down: false,
    hang: false,
    calls: 0,
    readDelayMs: 0,
    createGate: undefined as Promise<void> | undefined,
    read: () => {
      view.calls++;
      if (view.hang) return never;
      if (view.down) return Promise.reject(new Error('timeout'));
      const delay = view.readDelayMs;
      view.readDelayMs = 0;
      if (delay === 0) return api.read();
      const answer = api.read();
      return new Promise<LeaseRecord | undefined>((resolve) => clock.setTimer(() => resolve(answer), delay));
    },
    create: async (n: string, ns: string, l: LeaseRecord) => {
      view.calls++;
      if (view.hang) return never;
      if (view.down) throw new Error('timeout');
      const gate = view.createGate;
      view.createGate = undefined;
      await gate;
      return api.create(n, ns, l);
    },
    replace: (n: string, ns: string, l: LeaseRecord) => {
      view.calls++;
      if (view.hang) return never;
      return view.down ? Promise.reject(new Error('timeout')) : api.replace(n, ns, l);
    },
  };
  return view;
}

function setup() {
  const clock = new FakeClock(Date.parse('2026-11-28T19:00:00.000Z'));
  const api = new MemoryLeases();
  const log = new RecordingLogger();
  const candidate = (identity: string) => {
    const view = podView(api, clock);
    const state = { leading: false, signal: undefined as AbortSignal | undefined, starts: 0, stops: 0 };
    const elector = new LeaderElector({
      api: view,
      clock,
      log: log.child({ pod: identity }),
      name: 'enhancer-janitor',
      namespace: 'jobs',
      identity,
      durationMs: DURATION,
      renewDeadlineMs: DEADLINE,
      retryMs: RETRY,
      onStartedLeading: (signal) => {
        state.leading = true;
        state.signal = signal;
        state.starts++;
      },
      onStoppedLeading: () => {
        state.leading = false;
        state.stops++;
      },
    });
    return { elector, view, state };
  };
  /** Moves time in small steps, letting each tick's awaits run. */
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(Math.min(100, ms - t));
      await flushMicrotasks();
    }
  };
  return { clock, api, log, candidate, run };
}

describe('LeaderElector', () => {
  it('two candidates: exactly one leads, and keeps leading while it renews', async () => {
    const { api, candidate, run } = setup();
    const a = candidate('pod-a');
    const b = candidate('pod-b');
    a.elector.start();
    b.elector.start();
    await run(100);
    expect([a.elector.isLeader, b.elector.isLeader].filter(Boolean)).toHaveLength(1);
    const leader = a.elector.isLeader ? a : b;
    const holder = api.lease?.holder;
    expect(holder).toBe(leader === a ? 'pod-a' : 'pod-b');
    expect(api.lease).toMatchObject({ durationMs: DURATION, transitions: 0 });
    const acquired = api.lease?.acquireTime;

    await run(60_000);
    expect([a.elector.isLeader, b.elector.isLeader].filter(Boolean)).toHaveLength(1);
    expect(api.lease?.holder).toBe(holder);
    expect(api.lease?.acquireTime).toBe(acquired);
    expect(api.lease!.renewTime!).toBeGreaterThan(acquired!);
    expect(leader.state).toMatchObject({ leading: true, starts: 1, stops: 0 });
    await Promise.all([a.elector.stop(), b.elector.stop()]);
  });

  it('a leader cut off steps down within the renew deadline; the other takes over only after expiry', async () => {
    const { api, candidate, run } = setup();
    const a = candidate('pod-a');
    a.elector.start();
    await run(100);
    expect(a.elector.isLeader).toBe(true);
    const b = candidate('pod-b');
    b.elector.start();
    await run(RETRY);

    a.view.down = true;
    const lastRenew = api.lease!.renewTime!;
    await run(DEADLINE - RETRY);
    expect(a.state.leading).toBe(true);
    await run(RETRY);
    expect(a.state).toMatchObject({ leading: false, stops: 1 });
    expect(a.state.signal?.aborted).toBe(true);
    expect(b.elector.isLeader).toBe(false);

    // B counts expiry from when it saw the last renewal, by its own clock.
    await run(DURATION - DEADLINE - RETRY);
    expect(b.elector.isLeader).toBe(false);
    await run(2 * RETRY + 100);
    expect(b.elector.isLeader).toBe(true);
    expect(api.lease).toMatchObject({ holder: 'pod-b', transitions: 1 });
    expect(api.lease!.acquireTime!).toBeGreaterThanOrEqual(lastRenew + DURATION);
    await Promise.all([a.elector.stop(), b.elector.stop()]);
  });

  it('a conflict on update leaves the loser a follower', async () => {
    const { api, clock, candidate, run, log } = setup();
    api.write({ holder: 'pod-old', durationMs: DURATION, renewTime: clock.now(), transitions: 4 });
    const a = candidate('pod-a');
    a.elector.start();
    await run(DURATION - RETRY);
    expect(a.elector.isLeader).toBe(false);
    // The old holder renews between A's read of the expired lease and A's replace.
    let raced = false;
    api.beforeReplace = () => {
      api.beforeReplace = undefined;
      raced = true;
      api.write({ ...api.lease!, renewTime: clock.now() });
    };
    await run(2 * RETRY);
    expect(raced).toBe(true);
    expect(log.lines.some((l) => l.msg === 'lease written by another pod first')).toBe(true);
    await run(DURATION - RETRY);
    expect(a.state).toMatchObject({ leading: false, starts: 0 });
    expect(api.lease).toMatchObject({ holder: 'pod-old', transitions: 4 });
    await a.elector.stop();
  });

  it('a renewal that loses a race to another holder steps down at once', async () => {
    const { api, clock, candidate, run } = setup();
    const a = candidate('pod-a');
    a.elector.start();
    await run(100);
    expect(a.elector.isLeader).toBe(true);
    api.beforeReplace = () => {
      api.beforeReplace = undefined;
      api.write({ holder: 'pod-z', durationMs: DURATION, renewTime: clock.now(), transitions: 1 });
    };
    await run(2 * RETRY);
    expect(a.state).toMatchObject({ leading: false, stops: 1 });
    expect(api.lease?.holder).toBe('pod-z');
    await a.elector.stop();
    expect(api.lease?.holder).toBe('pod-z');
  });

  it('releases the lease on stop, so another pod takes over at its next try', async () => {
    const { api, candidate, run } = setup();
    const a = candidate('pod-a');
    a.elector.start();
    await run(100);
    const b = candidate('pod-b');
    b.elector.start();
    await run(RETRY);

    await a.elector.stop();
    expect(a.state).toMatchObject({ leading: false, stops: 1 });
    expect(api.lease?.holder).toBe('');
    await run(RETRY + 100);
    expect(b.elector.isLeader).toBe(true);
    expect(api.lease).toMatchObject({ holder: 'pod-b', transitions: 1 });
    await b.elector.stop();
  });

  it('keeps trying while the API server is unreachable, and leaves no timers after stop', async () => {
    const { clock, candidate, run, log } = setup();
    const a = candidate('pod-a');
    a.view.down = true;
    a.elector.start();
    await run(3 * RETRY);
    expect(a.elector.isLeader).toBe(false);
    expect(log.lines.filter((l) => l.msg === 'lease update failed').length).toBeGreaterThanOrEqual(3);
    a.view.down = false;
    await run(RETRY);
    expect(a.elector.isLeader).toBe(true);
    await a.elector.stop();
    expect(clock.pending).toBe(0);
  });

  it('a Lease API that never answers: leadership ends, the loop goes on, and stop() is bounded', async () => {
    const { api, candidate, run, clock, log } = setup();
    const a = candidate('pod-a');
    a.elector.start();
    await run(100);
    expect(a.elector.isLeader).toBe(true);

    a.view.hang = true;
    const before = a.view.calls;
    await run(DEADLINE);
    expect(a.state).toMatchObject({ leading: false, stops: 1 });
    expect(a.state.signal?.aborted).toBe(true);
    // Each hung try is given up after the renew deadline; the next one follows a retry period later.
    await run(2 * (DEADLINE + RETRY));
    expect(a.view.calls - before).toBeGreaterThanOrEqual(3);
    expect(log.lines.some((l) => String(l.fields.error_message).includes('timed out'))).toBe(true);

    // Answers again: it leads again (the Lease still names it).
    a.view.hang = false;
    await run(DEADLINE + 2 * RETRY);
    expect(a.state).toMatchObject({ leading: true, starts: 2 });
    expect(api.lease?.holder).toBe('pod-a');

    // Hangs again, and stop() comes while a try is under way: at most one deadline for it, one for the release.
    a.view.hang = true;
    await run(RETRY + 100);
    let stopped = false;
    void a.elector.stop().then(() => (stopped = true));
    await run(2 * DEADLINE - 200);
    expect(stopped).toBe(false);
    await run(300);
    expect(stopped).toBe(true);
    expect(a.state).toMatchObject({ leading: false, stops: 2 });
    expect(log.lines.some((l) => l.msg === 'could not release the lease; it expires by itself')).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('a follower counts expiry from when the read answered, not from when it was sent', async () => {
    const { api, clock, candidate, run } = setup();
    const start = clock.now();
    api.write({ holder: 'pod-old', durationMs: DURATION, renewTime: start, transitions: 0 });
    const a = candidate('pod-a');
    a.view.readDelayMs = 3_000;
    a.elector.start();
    // pod-old never renews. Seen at start + 3 s, its Lease expires at start + 3 s + DURATION.
    await run(DURATION + 100);
    expect(a.elector.isLeader).toBe(false);
    await run(3_000 + 2 * RETRY);
    expect(a.elector.isLeader).toBe(true);
    expect(api.lease!.acquireTime!).toBeGreaterThanOrEqual(start + 3_000 + DURATION);
    await a.elector.stop();
  });

  it('a write that succeeded after the renew deadline does not start leadership', async () => {
    const { clock, candidate, run, log } = setup();
    const a = candidate('pod-a');
    const gate = deferred();
    a.view.createGate = gate.promise;
    a.elector.start();
    await run(100);
    // The event loop stalls past the deadline while the create is under way, then the answer lands.
    clock.block(DEADLINE + 1_000);
    gate.resolve();
    await flushMicrotasks();
    expect(a.state).toMatchObject({ leading: false, starts: 0 });
    expect(log.lines.some((l) => l.msg === 'lease acquired too late to lead')).toBe(true);
    // The next try renews its own Lease in time and leads.
    await run(RETRY + 100);
    expect(a.state).toMatchObject({ leading: true, starts: 1 });
    await a.elector.stop();
  });
});
