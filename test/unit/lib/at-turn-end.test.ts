import { AtTurnEnd } from '../../../src/lib/at-turn-end.js';

describe('AtTurnEnd', () => {
  it('runs once at the end of a turn however often it was asked, and again in a later turn', () => {
    const deferred: (() => void)[] = [];
    let flushes = 0;
    const t = new AtTurnEnd(
      () => flushes++,
      (run) => void deferred.push(run),
    );
    t.request();
    t.request();
    expect(deferred).toHaveLength(1);
    expect(flushes).toBe(0);
    deferred.shift()!();
    expect(flushes).toBe(1);

    t.request();
    expect(deferred).toHaveLength(1);
    deferred.shift()!();
    expect(flushes).toBe(2);
  });

  it('defaults to setImmediate: after the microtasks of the turn', async () => {
    const order: string[] = [];
    const t = new AtTurnEnd(() => order.push('flush'));
    t.request();
    await Promise.resolve();
    order.push('microtask');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['microtask', 'flush']);
  });
});
