import { PermanentError, TransientError } from '../../../src/domain/errors.js';
import type { Simulate } from '../../../src/domain/job.js';
import type { EnhanceContext } from '../../../src/pipeline/enhancer.js';
import { simulateEnhancer, type SimulateEffects } from '../../../src/pipeline/simulate.js';
import { validJob } from '../../helpers/jobs.js';
import { enhanceContext } from '../../helpers/enhance-context.js';

class CrashCalled extends Error {
  override readonly name = 'CrashCalled';
}

function effects(): SimulateEffects & { readonly calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    sleep: (ms, signal) => {
      calls.push(`sleep ${ms} ${signal ? 'abortable' : 'ignoring abort'}`);
      return Promise.resolve();
    },
    block: (ms) => {
      calls.push(`block ${ms}`);
    },
    crash: () => {
      calls.push('crash');
      throw new CrashCalled('crash');
    },
  };
}

const ctx = (attempt: number): EnhanceContext => enhanceContext({ attempt });

const run = (simulate: Simulate | undefined, attempt: number, fx = effects()) =>
  simulateEnhancer(fx).enhance(validJob(simulate ? { simulate } : {}), ctx(attempt));

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('simulateEnhancer', () => {
  it('succeeds at once without a simulate object', async () => {
    const fx = effects();
    await expect(run(undefined, 1, fx)).resolves.toEqual({
      summary: 'simulated enhancement of ticket TICKET-42 on attempt 1',
    });
    expect(fx.calls).toEqual([]);
  });

  it('fails the first fail_times attempts with a TransientError, then succeeds', async () => {
    const first = await rejection(run({ fail_times: 2 }, 1));
    expect(first).toBeInstanceOf(TransientError);
    expect(first.name).toBe('TransientError');
    expect(first.message).toBe('simulated transient failure on attempt 1');
    expect((await rejection(run({ fail_times: 2 }, 2))).name).toBe('TransientError');
    await expect(run({ fail_times: 2 }, 3)).resolves.toEqual({
      summary: 'simulated enhancement of ticket TICKET-42 on attempt 3',
    });
  });

  it('throws a PermanentError when asked to', async () => {
    const err = await rejection(run({ fail_times: 1, error: 'permanent' }, 1));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.name).toBe('PermanentError');
    expect(err.message).toBe('simulated permanent failure on attempt 1');
  });

  it('sleeps with the signal, or without it when told to ignore the abort', async () => {
    const fx = effects();
    await run({ sleep_ms: 50 }, 1, fx);
    await run({ sleep_ms: 70, ignore_abort: true }, 1, fx);
    expect(fx.calls).toEqual(['sleep 50 abortable', 'sleep 70 ignoring abort']);
  });

  it('blocks the event loop before sleeping and failing, whatever the signal', async () => {
    const fx = effects();
    const err = await rejection(run({ block_ms: 2500, sleep_ms: 50, fail_times: 1 }, 1, fx));
    expect(err.name).toBe('TransientError');
    expect(fx.calls).toEqual(['block 2500', 'sleep 50 abortable']);
  });

  it('crashes before anything else', async () => {
    const fx = effects();
    const err = await rejection(run({ crash: true, block_ms: 10, sleep_ms: 50 }, 1, fx));
    expect(err.name).toBe('CrashCalled');
    expect(fx.calls).toEqual(['crash']);
  });
});
