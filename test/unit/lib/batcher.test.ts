import { Batcher, type BatcherOptions } from '../../../src/lib/batcher.js';
import { deferred, flushMicrotasks, type Deferred } from '../../helpers/deferred.js';

interface Item {
  readonly id: string;
  readonly key?: string;
}

/** A `run` whose every call waits until the test settles it by hand. */
class ManualRun {
  readonly calls: { items: string[]; done: Deferred<readonly (string | Error)[]> }[] = [];

  readonly run = (items: readonly Item[]): Promise<readonly (string | Error)[]> => {
    const done = deferred<readonly (string | Error)[]>();
    this.calls.push({ items: items.map((i) => i.id), done });
    return done.promise;
  };

  get batches(): string[][] {
    return this.calls.map((c) => c.items);
  }

  /** Settles call `n` with `result:<id>` for every item. */
  succeed(n: number): void {
    const call = this.calls[n]!;
    call.done.resolve(call.items.map((id) => `result:${id}`));
  }
}

/** The end of the event-loop turn, as the test says when: the batcher's flushes wait for `end()`. */
class ManualTurn {
  private flushes: (() => void)[] = [];
  readonly atTurnEnd = (flush: () => void) => void this.flushes.push(flush);
  end(): void {
    for (const f of this.flushes.splice(0)) f();
  }
}

/** Without `atTurnEnd`, every turn ends at once: what is submitted is flushed on the spot. */
function make(manual: ManualRun, opts: Partial<BatcherOptions<Item, string>> = {}): Batcher<Item, string> {
  return new Batcher<Item, string>({
    run: manual.run,
    maxBatch: 100,
    maxInFlight: 1,
    atTurnEnd: (flush) => flush(),
    ...opts,
  });
}

/** Records how each submitted promise settles, without waiting for it. */
function track(p: Promise<string>): { state: string } {
  const t = { state: 'pending' };
  p.then(
    (v) => (t.state = `resolved:${v}`),
    (e: Error) => (t.state = `rejected:${e.message}`),
  );
  return t;
}

describe('Batcher', () => {
  it('writes the first item alone, at once', () => {
    const manual = new ManualRun();
    void make(manual).submit({ id: 'a' });
    expect(manual.batches).toEqual([['a']]);
  });

  it('batches everything submitted while a write is in flight into the next write', async () => {
    const manual = new ManualRun();
    const batcher = make(manual);
    const results = ['a', 'b', 'c', 'd'].map((id) => batcher.submit({ id }));
    expect(manual.batches).toEqual([['a']]);

    manual.succeed(0);
    await expect(results[0]).resolves.toBe('result:a');
    expect(manual.batches).toEqual([['a'], ['b', 'c', 'd']]);

    manual.succeed(1);
    await expect(Promise.all(results.slice(1))).resolves.toEqual(['result:b', 'result:c', 'result:d']);
    expect(manual.batches).toHaveLength(2);
  });

  it('puts at most maxBatch items in one write', async () => {
    const manual = new ManualRun();
    const batcher = make(manual, { maxBatch: 2 });
    const results = ['a', 'b', 'c', 'd', 'e'].map((id) => batcher.submit({ id }));
    manual.succeed(0);
    await flushMicrotasks();
    expect(manual.batches).toEqual([['a'], ['b', 'c']]);
    manual.succeed(1);
    await flushMicrotasks();
    expect(manual.batches).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    manual.succeed(2);
    await expect(Promise.all(results)).resolves.toEqual(
      ['a', 'b', 'c', 'd', 'e'].map((id) => `result:${id}`),
    );
  });

  it('keeps at most maxInFlight writes running', async () => {
    const manual = new ManualRun();
    const batcher = make(manual, { maxInFlight: 2 });
    const results = ['a', 'b', 'c', 'd'].map((id) => batcher.submit({ id }));
    expect(manual.batches).toEqual([['a'], ['b']]);

    manual.succeed(1);
    await flushMicrotasks();
    expect(manual.batches).toEqual([['a'], ['b'], ['c', 'd']]);
    await flushMicrotasks();
    expect(manual.batches).toHaveLength(3);

    manual.succeed(0);
    manual.succeed(2);
    await expect(Promise.all(results)).resolves.toEqual(['result:a', 'result:b', 'result:c', 'result:d']);
  });

  it('never puts two items with the same key in one write, deferring the later one in order', async () => {
    const manual = new ManualRun();
    const batcher = make(manual, { key: (i) => i.key! });
    const results = [
      { id: 'a1', key: 'a' },
      { id: 'a2', key: 'a' },
      { id: 'b1', key: 'b' },
      { id: 'a3', key: 'a' },
      { id: 'c1', key: 'c' },
      { id: 'b2', key: 'b' },
    ].map((i) => batcher.submit(i));
    expect(manual.batches).toEqual([['a1']]);
    manual.succeed(0);
    await flushMicrotasks();
    expect(manual.batches).toEqual([['a1'], ['a2', 'b1', 'c1']]);
    manual.succeed(1);
    await flushMicrotasks();
    expect(manual.batches).toEqual([['a1'], ['a2', 'b1', 'c1'], ['a3', 'b2']]);
    manual.succeed(2);
    await expect(Promise.all(results)).resolves.toEqual(
      ['a1', 'a2', 'b1', 'a3', 'c1', 'b2'].map((id) => `result:${id}`),
    );
  });

  it('rejects only the item whose result is an Error', async () => {
    const manual = new ManualRun();
    const batcher = make(manual);
    void batcher.submit({ id: 'first' });
    const tracked = ['a', 'b', 'c'].map((id) => track(batcher.submit({ id })));
    manual.succeed(0);
    await flushMicrotasks();
    manual.calls[1]!.done.resolve(['result:a', new Error('row refused'), 'result:c']);
    await flushMicrotasks();
    expect(tracked.map((t) => t.state)).toEqual([
      'resolved:result:a',
      'rejected:row refused',
      'resolved:result:c',
    ]);
  });

  it('rejects an item the run returned no result for', async () => {
    const manual = new ManualRun();
    const batcher = make(manual);
    void batcher.submit({ id: 'first' });
    const tracked = ['a', 'b'].map((id) => track(batcher.submit({ id })));
    manual.succeed(0);
    await flushMicrotasks();
    manual.calls[1]!.done.resolve(['result:a']);
    await flushMicrotasks();
    expect(tracked.map((t) => t.state)).toEqual([
      'resolved:result:a',
      'rejected:batch returned no result for an item',
    ]);
  });

  it('rejects every item of a batch whose run throws, and goes on with the next batch', async () => {
    const manual = new ManualRun();
    const batcher = make(manual);
    const first = track(batcher.submit({ id: 'first' }));
    const tracked = ['a', 'b'].map((id) => track(batcher.submit({ id })));
    manual.calls[0]!.done.reject(new Error('connection lost'));
    await flushMicrotasks();
    expect(first.state).toBe('rejected:connection lost');
    expect(tracked.map((t) => t.state)).toEqual(['pending', 'pending']);
    manual.calls[1]!.done.reject('not an Error');
    await flushMicrotasks();
    expect(tracked.map((t) => t.state)).toEqual(['rejected:not an Error', 'rejected:not an Error']);

    const later = batcher.submit({ id: 'later' });
    expect(manual.batches).toEqual([['first'], ['a', 'b'], ['later']]);
    manual.succeed(2);
    await expect(later).resolves.toBe('result:later');
  });

  it('resolves drained() at once when idle', async () => {
    const batcher = make(new ManualRun());
    await expect(batcher.drained()).resolves.toBeUndefined();
  });

  it('resolves drained() only once nothing is queued or being written', async () => {
    const manual = new ManualRun();
    const batcher = make(manual);
    void batcher.submit({ id: 'a' });
    void batcher.submit({ id: 'b' });
    let drained = false;
    void batcher.drained().then(() => (drained = true));

    manual.succeed(0);
    await flushMicrotasks();
    expect(manual.batches).toEqual([['a'], ['b']]);
    expect(drained).toBe(false);

    manual.succeed(1);
    await flushMicrotasks();
    expect(drained).toBe(true);
  });

  describe('at the end of the turn', () => {
    it('sends what one turn submitted together, even when nothing is in flight', () => {
      const manual = new ManualRun();
      const turn = new ManualTurn();
      const batcher = make(manual, { atTurnEnd: turn.atTurnEnd });
      void batcher.submit({ id: 'a' });
      void batcher.submit({ id: 'b' });
      expect(manual.batches).toEqual([]);
      turn.end();
      expect(manual.batches).toEqual([['a', 'b']]);
    });

    it("puts what a write's results lead to, however many awaits later in that turn, in the next write", async () => {
      const manual = new ManualRun();
      const turn = new ManualTurn();
      const batcher = make(manual, { atTurnEnd: turn.atTurnEnd });
      // Two callers whose next item comes after a chain of awaits of different lengths (a job's
      // completion after its claim, through the pipeline).
      const caller = async (id: string, hops: number) => {
        await batcher.submit({ id });
        for (let i = 0; i < hops; i++) await Promise.resolve();
        return batcher.submit({ id: `${id}-next` });
      };
      const done = [caller('a', 1), caller('b', 20)];
      turn.end();
      expect(manual.batches).toEqual([['a', 'b']]);

      manual.succeed(0);
      await flushMicrotasks();
      turn.end();
      expect(manual.batches).toEqual([
        ['a', 'b'],
        ['a-next', 'b-next'],
      ]);
      manual.succeed(1);
      await expect(Promise.all(done)).resolves.toEqual(['result:a-next', 'result:b-next']);
    });
  });
});
