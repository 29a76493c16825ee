import { TokenBucket } from '../../../src/lib/token-bucket.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** The bucket as a yes/no gate on a clock, the way the Events notifier uses it. */
const gate = (perMinute: number, burst: number, clock: FakeClock) => {
  const bucket = new TokenBucket(perMinute, 60_000, burst, clock.now());
  return { take: () => bucket.take(clock.now()) === 0 };
};

describe('TokenBucket', () => {
  it('gives a burst at once, then one token per 60 s / perMinute', () => {
    const clock = new FakeClock();
    const bucket = gate(10, 3, clock);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    clock.advance(5_999);
    expect(bucket.take()).toBe(false);
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const clock = new FakeClock();
    const bucket = gate(10, 2, clock);
    clock.advance(3_600_000);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });
});
