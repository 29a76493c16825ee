import { untilSignal } from '../../../src/lib/until-signal.js';
import { deferred, flushMicrotasks } from '../../helpers/deferred.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { RecordingLogger } from '../../helpers/fakes.js';

const lines = { stopping: 'stopping', stopped: 'stopped', fields: { grace_ms: 3_000 }, stopWithinMs: 13_000 };

function running() {
  const done = deferred();
  const stops: number[] = [];
  return { done, stops, handle: { stop: () => (stops.push(1), done.promise), done: done.promise } };
}

describe('untilSignal', () => {
  // Only the listeners a test added go (jest's own stay).
  type Listener = (...args: unknown[]) => void;
  const listeners = (s: NodeJS.Signals) => process.listeners(s) as unknown as Listener[];
  const before = new Map<NodeJS.Signals, Listener[]>();
  beforeEach(() => {
    for (const s of ['SIGTERM', 'SIGINT'] as const) before.set(s, listeners(s));
  });
  afterEach(() => {
    for (const [s, kept] of before) {
      for (const l of listeners(s)) if (!kept.includes(l)) process.off(s, l);
    }
  });

  it('stops once on SIGTERM and returns 0 when the stop finishes in time', async () => {
    const clock = new FakeClock(0);
    const log = new RecordingLogger();
    const r = running();
    const code = untilSignal(log, Promise.resolve(r.handle), lines, clock);
    process.emit('SIGTERM');
    process.emit('SIGINT');
    await flushMicrotasks();
    clock.advance(12_999);
    r.done.resolve();
    expect(await code).toBe(0);
    expect(r.stops).toHaveLength(1);
    expect(log.lines.map((l) => l.msg)).toEqual(['stopping', 'stopped']);
  });

  it('stops a server signalled while it was still starting, as soon as it is up', async () => {
    const clock = new FakeClock(0);
    const log = new RecordingLogger();
    const r = running();
    const start = deferred<typeof r.handle>();
    const code = untilSignal(log, start.promise, lines, clock);
    process.emit('SIGTERM');
    await flushMicrotasks();
    expect(r.stops).toHaveLength(0);
    start.resolve(r.handle);
    await flushMicrotasks();
    expect(r.stops).toHaveLength(1);
    r.done.resolve();
    expect(await code).toBe(0);
  });

  it('returns 1 at the bound when a signalled start never ends', async () => {
    const clock = new FakeClock(0);
    const code = untilSignal(
      new RecordingLogger(),
      deferred<ReturnType<typeof running>['handle']>().promise,
      lines,
      clock,
    );
    process.emit('SIGINT');
    await flushMicrotasks();
    clock.advance(13_000);
    expect(await code).toBe(1);
  });

  it('rejects with the error of a start that fails, and takes its signal listeners away', async () => {
    const before = process.listenerCount('SIGTERM');
    const code = untilSignal(new RecordingLogger(), Promise.reject(new Error('postgres unavailable')), lines);
    await expect(code).rejects.toThrow('postgres unavailable');
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('returns 1 at the bound when the stop hangs (a silent peer), saying so', async () => {
    const clock = new FakeClock(0);
    const log = new RecordingLogger();
    const r = running();
    const code = untilSignal(log, Promise.resolve(r.handle), lines, clock);
    const settled = jest.fn();
    void code.then(settled);
    process.emit('SIGTERM');
    await flushMicrotasks();
    clock.advance(12_999);
    await flushMicrotasks();
    expect(settled).not.toHaveBeenCalled();
    clock.advance(1);
    expect(await code).toBe(1);
    expect(log.lines.at(-1)).toMatchObject({
      level: 'error',
      msg: 'stop did not finish in time; exiting anyway',
      fields: { bound_ms: 13_000 },
    });
  });
});
