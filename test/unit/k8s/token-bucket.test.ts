import { TokenBucket } from '../../../src/k8s/token-bucket';
import { FakeClock } from '../../helpers/fake-clock';

describe('TokenBucket', () => {
  it('gives a burst at once, then one token per 60 s / perMinute', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perMinute: 10, burst: 3, clock });
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    clock.advance(5_999);
    expect(bucket.take()).toBe(false);
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perMinute: 10, burst: 2, clock });
    clock.advance(3_600_000);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });
});
