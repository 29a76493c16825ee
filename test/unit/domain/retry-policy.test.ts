import type { RetryPolicy } from '../../../src/domain/retry-policy.js';
import {
  DeadlineError,
  InfrastructureError,
  PermanentError,
  TransientError,
  ValidationError,
} from '../../../src/domain/errors.js';
import {
  MIN_WAIT_OUT_MS,
  backoffMs,
  decide,
  overDeliveryLimit,
  waitOutMs,
} from '../../../src/domain/retry-policy.js';

const exact: RetryPolicy = { maxRetries: 3, baseMs: 2_000, maxDelayMs: 600_000, jitter: 0 };
const jittered: RetryPolicy = { ...exact, jitter: 0.2 };

/** mulberry32: a small seeded generator, so the property check is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('backoffMs', () => {
  it.each([
    [1, 2_000],
    [2, 4_000],
    [3, 8_000],
    [4, 16_000],
    [5, 32_000],
    [6, 64_000],
  ])('retry %i waits %i ms without jitter', (n, ms) => {
    expect(backoffMs(n, exact, 0)).toBe(ms);
    expect(backoffMs(n, exact, 0.999999)).toBe(ms);
  });

  it.each([
    [9, 512_000],
    [10, 600_000],
    [20, 600_000],
    [60, 600_000],
  ])('retry %i is capped at maxDelayMs (%i ms)', (n, ms) => {
    expect(backoffMs(n, exact, 0)).toBe(ms);
  });

  it('treats n below 1 as the first retry', () => {
    expect(backoffMs(0, exact, 0)).toBe(2_000);
    expect(backoffMs(-3, exact, 0)).toBe(2_000);
  });

  it('is the full delay when random is 0', () => {
    expect(backoffMs(3, jittered, 0)).toBe(8_000);
  });

  it('takes off at most the jitter fraction when random approaches 1', () => {
    expect(backoffMs(3, jittered, 0.999999)).toBe(6_400);
    expect(backoffMs(1, jittered, 0.999999)).toBe(1_600);
    expect(backoffMs(1, jittered, 0.5)).toBe(1_800);
  });

  it('stays within [(1 - jitter) · d, d] for 10 000 random values', () => {
    const random = seeded(20261128);
    const outside: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const n = 1 + (i % 12);
      const r = random();
      const full = Math.min(jittered.maxDelayMs, jittered.baseMs * 2 ** (n - 1));
      const ms = backoffMs(n, jittered, r);
      if (!(ms >= 0.8 * full && ms <= full && Number.isInteger(ms))) outside.push(`n=${n} r=${r} → ${ms}`);
    }
    expect(outside).toEqual([]);
  });
});

describe('decide', () => {
  it.each([
    [1, 2, 2_000],
    [2, 3, 4_000],
    [3, 4, 8_000],
  ])('retries a transient failure of attempt %i as attempt %i after %i ms', (attempt, next, delayMs) => {
    expect(decide(attempt, new TransientError('flaky'), exact, 0)).toEqual({
      kind: 'retry',
      attempt: next,
      delayMs,
    });
  });

  it('applies the jitter to the retry delay', () => {
    expect(decide(2, new TransientError('flaky'), jittered, 0.5)).toEqual({
      kind: 'retry',
      attempt: 3,
      delayMs: 3_600,
    });
  });

  it.each([4, 5, 100])(
    'dead-letters a transient failure of attempt %i once 3 retries are spent',
    (attempt) => {
      expect(decide(attempt, new TransientError('flaky'), exact, 0)).toEqual({
        kind: 'dead-letter',
        reason: 'retries_exhausted',
      });
    },
  );

  it('dead-letters the first failure when maxRetries is 0', () => {
    expect(decide(1, new TransientError('flaky'), { ...exact, maxRetries: 0 }, 0)).toEqual({
      kind: 'dead-letter',
      reason: 'retries_exhausted',
    });
  });

  it.each([
    ['PermanentError', new PermanentError('no such ticket'), 'permanent'],
    ['ValidationError', new ValidationError('bad row'), 'validation'],
  ])('dead-letters a %s at attempt 1 with reason %s', (_name, err, reason) => {
    expect(decide(1, err, exact, 0)).toEqual({ kind: 'dead-letter', reason });
  });

  it('classifies by name, so an error from another realm is recognised', () => {
    const foreign = Object.assign(new Error('no such ticket'), { name: 'PermanentError' });
    expect(decide(1, foreign, exact, 0)).toEqual({ kind: 'dead-letter', reason: 'permanent' });
  });

  it.each([
    ['a DeadlineError', new DeadlineError('too slow')],
    ['a plain Error', new Error('boom')],
    ['a TypeError', new TypeError('x is undefined')],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
    ['an object', { code: 'ECONNRESET' }],
  ])('retries %s like a transient failure', (_what, err) => {
    expect(decide(1, err, exact, 0)).toEqual({ kind: 'retry', attempt: 2, delayMs: 2_000 });
  });

  it('waits out an InfrastructureError at the same attempt, past the retry budget too', () => {
    const err = new InfrastructureError('postgres unavailable');
    expect(decide(1, err, exact, 0)).toEqual({ kind: 'wait-out', delayMs: 2_000 });
    expect(decide(4, err, exact, 0)).toEqual({ kind: 'wait-out', delayMs: 2_000 });
    expect(decide(50, err, exact, 0)).toEqual({ kind: 'wait-out', delayMs: 2_000 });
  });

  it('never waits out for less than MIN_WAIT_OUT_MS, even with baseMs 0', () => {
    expect(MIN_WAIT_OUT_MS).toBe(1_000);
    const zero: RetryPolicy = { ...jittered, baseMs: 0 };
    expect(decide(2, new InfrastructureError('down'), zero, 0)).toEqual({ kind: 'wait-out', delayMs: 1_000 });
    expect(waitOutMs(zero, 0.999999)).toBe(1_000);
    expect(waitOutMs({ ...exact, baseMs: 500 }, 0)).toBe(1_000);
    expect(waitOutMs(jittered, 0.5)).toBe(1_800);
  });
});

describe('waitOutMs while an outage lasts', () => {
  const capped = (ms: number) => ({ ms, maxDelayMs: 30_000 });

  it('starts at the first retry delay, then grows to half the outage so far, up to the cap', () => {
    expect(waitOutMs(exact, 0, capped(0))).toBe(2_000);
    expect(waitOutMs(exact, 0, capped(3_000))).toBe(2_000);
    expect(waitOutMs(exact, 0, capped(10_000))).toBe(5_000);
    expect(waitOutMs(exact, 0, capped(59_000))).toBe(29_500);
    expect(waitOutMs(exact, 0, capped(60_000))).toBe(30_000);
    expect(waitOutMs(exact, 0, capped(3_600_000))).toBe(30_000);
  });

  it('is jittered down like a retry, never under MIN_WAIT_OUT_MS', () => {
    expect(waitOutMs(jittered, 0.5, capped(40_000))).toBe(18_000);
    expect(waitOutMs({ ...jittered, baseMs: 0, jitter: 1 }, 0.999, capped(1_000))).toBe(MIN_WAIT_OUT_MS);
  });

  it('never goes under the first delay, even with a cap below it', () => {
    expect(waitOutMs(exact, 0, { ms: 100_000, maxDelayMs: 1_000 })).toBe(2_000);
  });

  it('never shrinks as the outage grows (same random draw)', () => {
    const random = seeded(14);
    for (let i = 0; i < 200; i++) {
      const r = random();
      let last = 0;
      for (let ms = 0; ms <= 120_000; ms += 1_500) {
        const delay = waitOutMs(jittered, r, capped(ms));
        expect(delay).toBeGreaterThanOrEqual(last);
        expect(delay).toBeLessThanOrEqual(30_000);
        last = delay;
      }
    }
  });
});

describe('overDeliveryLimit', () => {
  it.each([
    [0, 5, false],
    [4, 5, false],
    [5, 5, false],
    [6, 5, true],
    [1, 1, false],
    [2, 1, true],
  ])('%i redeliveries with limit %i → %s', (redeliveries, limit, over) => {
    expect(overDeliveryLimit(redeliveries, limit)).toBe(over);
  });
});
