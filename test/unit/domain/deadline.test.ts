import { AttemptAborted, runWithDeadline, type AttemptOutcome } from '../../../src/domain/deadline.js';
import { DeadlineError } from '../../../src/domain/errors.js';
import { deferred, flushMicrotasks } from '../../helpers/deferred.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const SOFT = 100;
const HARD = 200;

/** A handler that rejects with the signal's reason as soon as it aborts, and never resolves otherwise. */
function honouring(): (signal: AbortSignal) => Promise<string> {
  return (signal) =>
    new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
}

/** Whether `p` has settled, without waiting for it. */
async function settledYet(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await flushMicrotasks();
  return done;
}

describe('runWithDeadline', () => {
  it('returns ok with the value and the time taken when the handler resolves before the soft deadline', async () => {
    const clock = new FakeClock(5_000);
    const work = deferred<string>();
    const outcome = runWithDeadline(() => work.promise, clock, { softMs: SOFT, hardMs: HARD });
    clock.advance(40);
    work.resolve('done');
    await expect(outcome).resolves.toEqual({ kind: 'ok', value: 'done', durationMs: 40 });
  });

  it('clears both timers once settled: advancing past the hard deadline then does nothing', async () => {
    const clock = new FakeClock();
    const onAbandon = jest.fn();
    const onLateSettle = jest.fn();
    const outcome = await runWithDeadline(() => Promise.resolve(1), clock, {
      softMs: SOFT,
      hardMs: HARD,
      onAbandon,
      onLateSettle,
    });
    expect(outcome).toEqual({ kind: 'ok', value: 1, durationMs: 0 });
    expect(clock.pending).toBe(0);
    clock.advance(HARD * 10);
    await flushMicrotasks();
    expect(onAbandon).not.toHaveBeenCalled();
    expect(onLateSettle).not.toHaveBeenCalled();
  });

  it('aborts the signal at the soft deadline with AttemptAborted("deadline")', async () => {
    const clock = new FakeClock();
    let seen: AbortSignal | undefined;
    const outcome = runWithDeadline(
      (signal) => {
        seen = signal;
        return honouring()(signal);
      },
      clock,
      { softMs: SOFT, hardMs: HARD },
    );
    clock.advance(SOFT - 1);
    expect(seen!.aborted).toBe(false);
    clock.advance(1);
    expect(seen!.aborted).toBe(true);
    const reason = seen!.reason as AttemptAborted;
    expect(reason).toBeInstanceOf(AttemptAborted);
    expect(reason.name).toBe('AttemptAborted');
    expect(reason.reason).toBe('deadline');
    expect(reason.message).toBe('attempt aborted: deadline');

    const result = await outcome;
    expect(result).toEqual({ kind: 'error', error: reason, durationMs: SOFT });
    expect(clock.pending).toBe(0);
  });

  describe('with a handler that ignores its signal', () => {
    it('gives up at the hard deadline with a DeadlineError and calls onAbandon once', async () => {
      const clock = new FakeClock();
      const work = deferred<string>();
      const onAbandon = jest.fn();
      const onLateSettle = jest.fn();
      const outcome = runWithDeadline(() => work.promise, clock, {
        softMs: SOFT,
        hardMs: HARD,
        onAbandon,
        onLateSettle,
      });
      clock.advance(SOFT);
      expect(await settledYet(outcome)).toBe(false);
      clock.advance(HARD - SOFT - 1);
      expect(await settledYet(outcome)).toBe(false);
      expect(onAbandon).not.toHaveBeenCalled();
      clock.advance(1);

      const result = await outcome;
      expect(result.kind).toBe('error');
      expect(result.durationMs).toBe(HARD);
      const error = (result as Extract<AttemptOutcome<string>, { kind: 'error' }>).error as Error;
      expect(error).toBeInstanceOf(DeadlineError);
      expect(error.name).toBe('DeadlineError');
      expect(error.message).toBe('attempt passed its 200 ms deadline');
      expect(onAbandon).toHaveBeenCalledTimes(1);
      expect(onLateSettle).not.toHaveBeenCalled();
    });

    it('reports a late result through onLateSettle only, leaving the outcome as it was', async () => {
      const clock = new FakeClock();
      const work = deferred<string>();
      const onAbandon = jest.fn();
      const onLateSettle = jest.fn();
      const outcome = runWithDeadline(() => work.promise, clock, {
        softMs: SOFT,
        hardMs: HARD,
        onAbandon,
        onLateSettle,
      });
      clock.advance(HARD);
      const result = await outcome;

      clock.advance(50);
      work.resolve('too late');
      await flushMicrotasks();
      expect(onLateSettle).toHaveBeenCalledTimes(1);
      expect(onLateSettle).toHaveBeenCalledWith({ kind: 'ok', value: 'too late', durationMs: HARD + 50 });
      expect(onAbandon).toHaveBeenCalledTimes(1);
      expect(await outcome).toBe(result);
      expect(result.kind).toBe('error');
    });

    it('reports a late rejection through onLateSettle as an error outcome', async () => {
      const clock = new FakeClock();
      const work = deferred<string>();
      const onLateSettle = jest.fn();
      const outcome = runWithDeadline(() => work.promise, clock, {
        softMs: SOFT,
        hardMs: HARD,
        onLateSettle,
      });
      clock.advance(HARD);
      await outcome;
      const late = new Error('gave up eventually');
      work.reject(late);
      await flushMicrotasks();
      expect(onLateSettle).toHaveBeenCalledTimes(1);
      expect(onLateSettle).toHaveBeenCalledWith({ kind: 'error', error: late, durationMs: HARD });
    });
  });

  describe('with an external (shutdown) signal', () => {
    it('aborts the handler with AttemptAborted("shutdown") when it fires', async () => {
      const clock = new FakeClock();
      const shutdown = new AbortController();
      let seen: AbortSignal | undefined;
      const outcome = runWithDeadline(
        (signal) => {
          seen = signal;
          return honouring()(signal);
        },
        clock,
        { softMs: SOFT, hardMs: HARD },
        shutdown.signal,
      );
      clock.advance(30);
      expect(seen!.aborted).toBe(false);
      shutdown.abort();
      const reason = seen!.reason as AttemptAborted;
      expect(reason).toBeInstanceOf(AttemptAborted);
      expect(reason.name).toBe('AttemptAborted');
      expect(reason.reason).toBe('shutdown');
      expect(await outcome).toEqual({ kind: 'error', error: reason, durationMs: 30 });
      expect(clock.pending).toBe(0);
    });

    it('starts the handler already aborted when shutdown fired before the attempt', async () => {
      const clock = new FakeClock();
      const shutdown = new AbortController();
      shutdown.abort();
      let abortedAtStart: boolean | undefined;
      const outcome = await runWithDeadline(
        (signal) => {
          abortedAtStart = signal.aborted;
          return Promise.reject(signal.reason as Error);
        },
        clock,
        { softMs: SOFT, hardMs: HARD },
        shutdown.signal,
      );
      expect(abortedAtStart).toBe(true);
      expect(outcome.kind).toBe('error');
      const error = (outcome as Extract<AttemptOutcome<never>, { kind: 'error' }>).error as AttemptAborted;
      expect(error.name).toBe('AttemptAborted');
      expect(error.reason).toBe('shutdown');
    });

    it('stops listening to the external signal once settled', async () => {
      const clock = new FakeClock();
      const shutdown = new AbortController();
      let seen: AbortSignal | undefined;
      await runWithDeadline(
        (signal) => {
          seen = signal;
          return Promise.resolve('ok');
        },
        clock,
        { softMs: SOFT, hardMs: HARD },
        shutdown.signal,
      );
      shutdown.abort();
      expect(seen!.aborted).toBe(false);
    });
  });

  it('turns a handler that throws synchronously into an error outcome', async () => {
    const clock = new FakeClock();
    const boom = new Error('sync boom');
    const outcome = await runWithDeadline(
      () => {
        throw boom;
      },
      clock,
      { softMs: SOFT, hardMs: HARD },
    );
    expect(outcome).toEqual({ kind: 'error', error: boom, durationMs: 0 });
    expect(clock.pending).toBe(0);
  });

  it('wraps a synchronously thrown non-Error in an Error', async () => {
    const clock = new FakeClock();
    const outcome = await runWithDeadline(
      () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw 'plain string';
      },
      clock,
      { softMs: SOFT, hardMs: HARD },
    );
    expect(outcome.kind).toBe('error');
    const error = (outcome as Extract<AttemptOutcome<never>, { kind: 'error' }>).error as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('plain string');
  });
});
