import { settlesWithin, withTimeout } from '../../../src/lib/with-timeout.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { deferred, flushMicrotasks } from '../../helpers/deferred.js';

describe('withTimeout', () => {
  it('fails a call that never answers with a TimeoutError at the bound, and aborts its signal', async () => {
    const clock = new FakeClock();
    let seen: AbortSignal | undefined;
    const call = withTimeout(clock, 1_000, 'reading the lease', (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    });
    let outcome: unknown;
    call.catch((err: unknown) => (outcome = err));
    clock.advance(999);
    await flushMicrotasks();
    expect(outcome).toBeUndefined();
    clock.advance(1);
    await flushMicrotasks();
    expect(outcome).toMatchObject({
      name: 'TimeoutError',
      message: 'reading the lease timed out after 1000 ms',
    });
    expect(seen?.aborted).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('passes an answer in time through and leaves no timer', async () => {
    const clock = new FakeClock();
    await expect(withTimeout(clock, 1_000, 'x', () => Promise.resolve(7))).resolves.toBe(7);
    await expect(
      withTimeout(clock, 1_000, 'x', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(clock.pending).toBe(0);
  });

  it('gives up at once when the outer signal aborts', async () => {
    const clock = new FakeClock();
    const outer = new AbortController();
    const call = withTimeout(clock, 1_000, 'x', () => new Promise<never>(() => undefined), outer.signal);
    outer.abort(new Error('stopping'));
    await expect(call).rejects.toThrow('stopping');
    expect(clock.pending).toBe(0);
  });
});

describe('settlesWithin', () => {
  it('is true when the promise settles in time (a rejection too), false at the bound', async () => {
    const clock = new FakeClock();
    await expect(settlesWithin(clock, 10, Promise.reject(new Error('no')))).resolves.toBe(true);
    const never = deferred();
    const waiting = settlesWithin(clock, 10, never.promise);
    clock.advance(10);
    await expect(waiting).resolves.toBe(false);
    expect(clock.pending).toBe(0);
  });
});
