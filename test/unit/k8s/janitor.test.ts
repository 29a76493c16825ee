import { Janitor, abandonAfterMs } from '../../../src/k8s/janitor.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { RecordingLogger } from '../../helpers/fakes.js';
import { deferred, flushMicrotasks } from '../../helpers/deferred.js';

describe('abandonAfterMs', () => {
  it('adds every attempt at its hard timeout, every full retry delay and the margin', () => {
    const retry = { maxRetries: 3, baseMs: 2_000, maxDelayMs: 600_000, jitter: 0.2 };
    // 4 × 120 s + (2 + 4 + 8) s + 300 s
    expect(abandonAfterMs({ retry, hardTimeoutMs: 120_000, marginMs: 300_000 })).toBe(794_000);
  });

  it('caps each delay at RETRY_MAX_DELAY_MS', () => {
    const retry = { maxRetries: 4, baseMs: 2_000, maxDelayMs: 5_000, jitter: 0.5 };
    expect(abandonAfterMs({ retry, hardTimeoutMs: 1_000, marginMs: 0 })).toBe(
      5 * 1_000 + 2_000 + 4_000 + 5_000 + 5_000,
    );
  });

  it('is one attempt plus the margin without retries', () => {
    const retry = { maxRetries: 0, baseMs: 2_000, maxDelayMs: 600_000, jitter: 0 };
    expect(abandonAfterMs({ retry, hardTimeoutMs: 120_000, marginMs: 7 })).toBe(120_007);
  });
});

describe('Janitor', () => {
  function setup(sweep: (ms: number, detail: string) => Promise<number>) {
    const clock = new FakeClock();
    const log = new RecordingLogger();
    const abandoned: number[] = [];
    const janitor = new Janitor({
      sweep,
      clock,
      log,
      intervalMs: 60_000,
      thresholdMs: 794_000,
      onAbandoned: (n) => abandoned.push(n),
    });
    return { clock, log, abandoned, janitor };
  }

  it('sweeps at once and every interval while leading, and stops when leadership ends', async () => {
    const calls: [number, string][] = [];
    const { clock, log, abandoned, janitor } = setup((ms, detail) => {
      calls.push([ms, detail]);
      return Promise.resolve(calls.length === 2 ? 3 : 0);
    });
    const leading = new AbortController();

    janitor.lead(leading.signal);
    await flushMicrotasks();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual([794_000, 'pending for over 794 s with no worker holding the job']);
    clock.advance(59_999);
    await flushMicrotasks();
    expect(calls).toHaveLength(1);
    clock.advance(1);
    await flushMicrotasks();
    expect(calls).toHaveLength(2);
    expect(abandoned).toEqual([3]);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        msg: 'janitor marked abandoned jobs failed',
        fields: { count: 3, older_than_ms: 794_000 },
      },
    ]);

    leading.abort();
    clock.advance(600_000);
    await flushMicrotasks();
    expect(calls).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });

  it('logs a failed sweep and tries again next interval', async () => {
    let n = 0;
    const { clock, log, janitor } = setup(() =>
      ++n === 1 ? Promise.reject(new Error('connection refused')) : Promise.resolve(0),
    );
    janitor.lead(new AbortController().signal);
    await flushMicrotasks();
    expect(log.lines).toEqual([
      { level: 'warn', msg: 'janitor sweep failed', fields: { error_message: 'connection refused' } },
    ]);
    clock.advance(60_000);
    await flushMicrotasks();
    expect(n).toBe(2);
    await janitor.idle();
  });

  it('a re-election while a sweep runs starts no second sweep, and idle() waits for the first', async () => {
    const first = deferred<number>();
    let calls = 0;
    const { clock, janitor } = setup(() => (++calls === 1 ? first.promise : Promise.resolve(0)));
    const term1 = new AbortController();
    janitor.lead(term1.signal);
    await flushMicrotasks();
    expect(calls).toBe(1);

    // Leadership lost and won back while the first sweep still runs.
    term1.abort();
    janitor.lead(new AbortController().signal);
    let idle = false;
    void janitor.idle().then(() => (idle = true));
    await flushMicrotasks();
    expect(calls).toBe(1);
    expect(idle).toBe(false);

    first.resolve(2);
    await flushMicrotasks();
    expect(idle).toBe(true);
    // The new term goes on at its interval, one loop only.
    clock.advance(60_000);
    await flushMicrotasks();
    expect(calls).toBe(2);
    expect(clock.pending).toBe(1);
  });
});
