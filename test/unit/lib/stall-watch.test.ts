import { StallWatch } from '../../../src/lib/stall-watch.js';
import { deferred, flushMicrotasks } from '../../helpers/deferred.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const outage = (err: unknown) => (err as Error).message !== 'refused';

describe('StallWatch', () => {
  it('measures the oldest pending call, and forgets it once it settles', async () => {
    const clock = new FakeClock(1_000);
    const w = new StallWatch(clock);
    const first = deferred<number>();
    const second = deferred<number>();
    const a = w.track(first.promise, outage);
    clock.advance(300);
    const b = w.track(second.promise, outage);
    clock.advance(200);
    expect(w.oldestPendingMs()).toBe(500);
    first.resolve(1);
    expect(await a).toBe(1);
    expect(w.oldestPendingMs()).toBe(200);
    second.resolve(2);
    await b;
    expect(w.oldestPendingMs()).toBe(0);
    expect(w.stalledMs()).toBe(0);
  });

  it('counts a failing streak from its first outage until a success', async () => {
    const clock = new FakeClock(0);
    const w = new StallWatch(clock);
    await expect(w.track(Promise.reject(new Error('down')), outage)).rejects.toThrow('down');
    clock.advance(4_000);
    await expect(w.track(Promise.reject(new Error('still down')), outage)).rejects.toThrow('still down');
    clock.advance(1_000);
    expect(w.failingMs()).toBe(5_000);
    expect(w.stalledMs()).toBe(5_000);
    expect(w.lastFailure).toBe('still down');
    await w.track(Promise.resolve('ok'), outage);
    expect(w.failingMs()).toBe(0);
    expect(w.lastFailure).toBe('');
  });

  it('does not count a refusal of the data as an outage', async () => {
    const clock = new FakeClock(0);
    const w = new StallWatch(clock);
    await expect(w.track(Promise.reject(new Error('refused')), outage)).rejects.toThrow();
    clock.advance(10_000);
    expect(w.stalledMs()).toBe(0);
  });

  it('is stalled by the longer of a pending call and a failing streak', async () => {
    const clock = new FakeClock(0);
    const w = new StallWatch(clock);
    await w.track(Promise.reject(new Error('down')), outage).catch(() => undefined);
    clock.advance(1_000);
    const stuck = deferred<void>();
    void w.track(stuck.promise, outage);
    clock.advance(2_000);
    await flushMicrotasks();
    expect(w.oldestPendingMs()).toBe(2_000);
    expect(w.stalledMs()).toBe(3_000);
  });
});
