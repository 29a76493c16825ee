import { retryUntil } from '../../../src/lib/retry-until.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** Lets promise callbacks run between clock moves. */
const flush = () => new Promise((r) => setImmediate(r));

describe('retryUntil', () => {
  it('waits delayMs(n) before try n and returns the first success', async () => {
    const clock = new FakeClock();
    const tries: number[] = [];
    const failures: [number, number][] = [];
    const done = retryUntil(
      (n) => {
        tries.push(clock.now());
        return n < 3 ? Promise.reject(new Error(`no ${n}`)) : Promise.resolve('up');
      },
      {
        clock,
        signal: new AbortController().signal,
        delayMs: (n) => 100 * 2 ** (n - 1),
        onFailure: (_err, n, next) => failures.push([n, next]),
      },
    );
    for (let i = 0; i < 10; i++) {
      clock.advance(100);
      await flush();
    }
    await expect(done).resolves.toBe('up');
    expect(tries).toEqual([100, 300, 700]);
    expect(failures).toEqual([
      [1, 200],
      [2, 400],
    ]);
  });

  it('stops during a wait when aborted, without trying again', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    let tries = 0;
    const done = retryUntil(
      () => {
        tries++;
        return Promise.reject(new Error('down'));
      },
      { clock, signal: stop.signal, delayMs: () => 1_000 },
    );
    clock.advance(1_000);
    await flush();
    stop.abort();
    await expect(done).resolves.toBeUndefined();
    expect(tries).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('a try that fails after the abort ends the loop', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    let tries = 0;
    const done = retryUntil(
      () => {
        tries++;
        stop.abort();
        return Promise.reject(new Error('down'));
      },
      { clock, signal: stop.signal, delayMs: () => 10 },
    );
    clock.advance(10);
    await expect(done).resolves.toBeUndefined();
    expect(tries).toBe(1);
  });
});

describe('retryUntil with a try that never answers', () => {
  it('returns at once when aborted mid-try, and hands a late value to discard', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    let answer!: (v: string) => void;
    const discarded: string[] = [];
    const done = retryUntil(() => new Promise<string>((r) => (answer = r)), {
      clock,
      signal: stop.signal,
      delayMs: () => 10,
      discard: (v) => discarded.push(v),
    });
    clock.advance(10);
    await flush();
    stop.abort();
    await expect(done).resolves.toBeUndefined();
    answer('late link');
    await flush();
    expect(discarded).toEqual(['late link']);
  });
});
