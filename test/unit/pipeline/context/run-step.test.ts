import { InfrastructureError } from '../../../../src/domain/errors.js';
import { runStep, type StepBudget } from '../../../../src/pipeline/context/run-step.js';
import type { ReadOptions } from '../../../../src/pipeline/context/types.js';
import { FakeClock } from '../../../helpers/fake-clock.js';
import { deferred, flushMicrotasks } from '../../../helpers/deferred.js';

function budget(clock: FakeClock, over: Partial<StepBudget> = {}): StepBudget {
  return { clock, stepTimeoutMs: 5000, deadlineAt: 100_000, signal: new AbortController().signal, ...over };
}

describe('runStep', () => {
  it('reports items, count and time of a step that answers', async () => {
    const clock = new FakeClock();
    const answer = deferred<string[]>();
    const run = runStep(() => answer.promise, budget(clock));
    clock.advance(12);
    answer.resolve(['a', 'b']);
    expect(await run).toEqual({
      report: { status: 'ok', ms: 12, count: 2 },
      items: ['a', 'b'],
      outage: false,
    });
    expect(clock.pending).toBe(0);
  });

  it('gives Postgres 90 % of the budget and the read an abortable signal', async () => {
    const clock = new FakeClock();
    let seen: ReadOptions | undefined;
    const run = runStep((o) => {
      seen = o;
      return new Promise<string[]>(() => undefined);
    }, budget(clock));
    await flushMicrotasks();
    expect(seen?.timeoutMs).toBe(4500);
    expect(seen?.signal.aborted).toBe(false);
    clock.advance(5000);
    const out = await run;
    expect(seen?.signal.aborted).toBe(true);
    // No answer at all when the budget ran out: Postgres may be unreachable.
    expect(out).toMatchObject({ report: { status: 'timeout', ms: 5000, count: 0 }, outage: true });
    expect(out.report.error).toBe('no answer within 5000 ms');
  });

  it('never runs past the soft deadline', async () => {
    const clock = new FakeClock(1000);
    let seen: ReadOptions | undefined;
    const run = runStep(
      (o) => {
        seen = o;
        return new Promise<string[]>(() => undefined);
      },
      budget(clock, { deadlineAt: 1200 }),
    );
    await flushMicrotasks();
    expect(seen?.timeoutMs).toBe(180);
    clock.advance(200);
    expect((await run).report).toMatchObject({ status: 'timeout', ms: 200 });
  });

  it('does not start when no time is left', async () => {
    const clock = new FakeClock(1000);
    const read = jest.fn(() => Promise.resolve([]));
    const out = await runStep(read, budget(clock, { deadlineAt: 1000 }));
    expect(read).not.toHaveBeenCalled();
    expect(out.report).toMatchObject({ status: 'timeout', ms: 0 });
    expect(out.outage).toBe(false);
  });

  it('calls a statement Postgres cancelled at its timeout a timeout, not an outage', async () => {
    const clock = new FakeClock();
    const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), {
      code: '57014',
    });
    const out = await runStep(() => Promise.reject(cancelled), budget(clock));
    expect(out).toMatchObject({ report: { status: 'timeout', count: 0 }, outage: false });
  });

  it('calls an infrastructure error an outage, and any other error only an error', async () => {
    const clock = new FakeClock();
    const down = await runStep(
      () => Promise.reject(new InfrastructureError('postgres unavailable')),
      budget(clock),
    );
    expect(down).toMatchObject({ report: { status: 'error', error: 'postgres unavailable' }, outage: true });
    const bad = await runStep(() => Promise.reject(new Error('syntax\nsecond line')), budget(clock));
    expect(bad).toMatchObject({ report: { status: 'error', error: 'syntax' }, outage: false });
    const thrown = await runStep(() => {
      throw new Error('at once');
    }, budget(clock));
    expect(thrown.report).toMatchObject({ status: 'error', error: 'at once' });
  });

  it('stops when the attempt is aborted', async () => {
    const clock = new FakeClock();
    const attempt = new AbortController();
    let seen: ReadOptions | undefined;
    const run = runStep(
      (o) => {
        seen = o;
        return new Promise<string[]>(() => undefined);
      },
      budget(clock, { signal: attempt.signal }),
    );
    await flushMicrotasks();
    attempt.abort(new Error('deadline'));
    const out = await run;
    expect(seen?.signal.aborted).toBe(true);
    expect(out).toMatchObject({ report: { status: 'timeout' }, outage: false });
    expect(clock.pending).toBe(0);
  });
});
