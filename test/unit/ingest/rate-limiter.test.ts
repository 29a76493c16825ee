import { TokenBuckets } from '../../../src/ingest/rate-limiter.js';
import { FakeClock } from '../../helpers/fake-clock.js';

describe('TokenBuckets', () => {
  it('allows a burst, then refuses with the wait until the next token, then refills at the rate', () => {
    const clock = new FakeClock(1_000);
    const buckets = new TokenBuckets(50, 50);
    for (let i = 0; i < 50; i++) expect(buckets.take('acme', clock.now())).toBe(0);
    expect(buckets.take('acme', clock.now())).toBe(20); // one token per 20 ms at 50/s
    clock.advance(10);
    expect(buckets.take('acme', clock.now())).toBe(10);
    clock.advance(10);
    expect(buckets.take('acme', clock.now())).toBe(0);
    expect(buckets.take('acme', clock.now())).toBe(20);
  });

  it('sustains exactly the rate over time', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets(50, 50);
    let allowed = 0;
    // 10 s of 200 requests/s (one every 5 ms).
    for (let i = 0; i < 2_000; i++) {
      if (buckets.take('acme', clock.now()) === 0) allowed++;
      clock.advance(5);
    }
    expect(allowed).toBeGreaterThanOrEqual(50 + 500 - 1);
    expect(allowed).toBeLessThanOrEqual(50 + 500);
  });

  it('keeps one bucket per tenant and never holds more than the burst', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets(10, 2);
    expect(buckets.take('a', 0)).toBe(0);
    expect(buckets.take('a', 0)).toBe(0);
    expect(buckets.take('a', 0)).toBe(100);
    expect(buckets.take('b', 0)).toBe(0);
    clock.advance(60_000);
    expect(buckets.take('a', clock.now())).toBe(0);
    expect(buckets.take('a', clock.now())).toBe(0);
    expect(buckets.take('a', clock.now())).toBeGreaterThan(0);
  });

  it('forgets tenants no longer kept (a removed tenant starts full if it comes back)', () => {
    const buckets = new TokenBuckets(1, 1);
    expect(buckets.take('gone', 0)).toBe(0);
    expect(buckets.take('gone', 0)).toBe(1000);
    buckets.retain((id) => id !== 'gone');
    expect(buckets.take('gone', 0)).toBe(0);
  });
});
