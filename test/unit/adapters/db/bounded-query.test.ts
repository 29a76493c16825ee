import {
  boundedQuery,
  type QueryBounds,
  type QueryClient,
} from '../../../../src/adapters/db/bounded-query.js';
import { PgLinks } from '../../../../src/adapters/db/pg-links.js';
import { deferred, flushMicrotasks, type Deferred } from '../../../helpers/deferred.js';
import { FakeClock } from '../../../helpers/fake-clock.js';

/** A pg Client as far as the bound cares: answers by hand, and a socket that records its destruction. */
class FakeClient implements QueryClient {
  destroyed = false;
  readonly answers: Deferred<unknown>[] = [];
  private onEnd: (() => void) | undefined;
  readonly connection = {
    stream: {
      destroy: () => {
        this.destroyed = true;
        this.onEnd?.();
      },
    },
  };
  query(): Promise<unknown> {
    const d = deferred<unknown>();
    this.answers.push(d);
    return d.promise;
  }
  once(_event: 'end', listener: () => void): this {
    this.onEnd = listener;
    return this;
  }
}

/** A pool that hands out `clients` in turn, keeping the usable ones as knex's would (validate). */
function setup(n: number) {
  const clock = new FakeClock(0);
  const links = new PgLinks();
  const free: FakeClient[] = [];
  const made: FakeClient[] = [];
  const released: FakeClient[] = [];
  const pool = {
    acquireConnection: () => {
      for (let c = free.shift(); c; c = free.shift()) if (links.usable(c)) return Promise.resolve(c);
      const c = new FakeClient();
      made.push(c);
      links.adopt(c);
      return Promise.resolve(c);
    },
    releaseConnection: (c: unknown) => {
      released.push(c as FakeClient);
      free.push(c as FakeClient);
      return Promise.resolve();
    },
  };
  for (let i = 0; i < n; i++) void pool.acquireConnection().then((c) => free.push(c));
  const bounds: QueryBounds = { pool, links, clock, timeoutMs: 2_000 };
  return { clock, links, made, released, bounds, free };
}

describe('boundedQuery', () => {
  it('stops waiting when its caller aborts, with the abort reason, and the connection counts as stalled', async () => {
    const s = setup(1);
    await flushMicrotasks();
    const caller = new AbortController();
    const q = boundedQuery(s.bounds, 'select 1', caller.signal);
    await flushMicrotasks();
    const reason = new Error('step budget spent');
    caller.abort(reason);
    await expect(q).rejects.toBe(reason);
    expect(s.made[0]!.destroyed).toBe(true);
  });

  it('returns the answer and gives the connection back', async () => {
    const s = setup(1);
    await flushMicrotasks();
    const q = boundedQuery(s.bounds, 'select 1');
    await flushMicrotasks();
    s.made[0]!.answers[0]!.resolve({ rows: [] });
    await expect(q).resolves.toEqual({ rows: [] });
    expect(s.released).toEqual([s.made[0]]);
    expect(s.made[0]!.destroyed).toBe(false);
  });

  it('fails at its bound, destroys the silent connection and every older one, and the next query opens a fresh one', async () => {
    const s = setup(3);
    await flushMicrotasks();
    expect(s.links.size).toBe(3);
    const stuck = boundedQuery(s.bounds, 'select 1');
    const settled = jest.fn();
    stuck.then(settled, settled);
    await flushMicrotasks(); // the connection is acquired, the query sent: the bound starts
    s.clock.advance(1_999);
    await flushMicrotasks();
    expect(settled).not.toHaveBeenCalled();
    s.clock.advance(1);
    await expect(stuck).rejects.toMatchObject({ name: 'TimeoutError' });
    const [silent, idle1, idle2] = s.made;
    expect(silent!.destroyed).toBe(true);
    expect(s.released).toContain(silent); // given back, and refused by the pool from now on

    const next = boundedQuery(s.bounds, 'select 1');
    await flushMicrotasks();
    // The two idle ones were opened before the stall: destroyed on the way out of the pool.
    expect([idle1!.destroyed, idle2!.destroyed]).toEqual([true, true]);
    expect(s.made).toHaveLength(4);
    s.made[3]!.answers[0]!.resolve('fresh');
    await expect(next).resolves.toBe('fresh');
    expect(s.made[3]!.destroyed).toBe(false);
    expect(s.links.size).toBe(1);
  });

  it('keeps the connection after an error Postgres sent (the link is fine)', async () => {
    const s = setup(1);
    await flushMicrotasks();
    const q = boundedQuery(s.bounds, 'select nope');
    await flushMicrotasks();
    s.made[0]!.answers[0]!.reject(
      Object.assign(new Error('column "nope" does not exist'), { code: '42703' }),
    );
    await expect(q).rejects.toMatchObject({ code: '42703' });
    expect(s.made[0]!.destroyed).toBe(false);
    expect(s.links.usable(s.made[0]!)).toBe(true);
  });

  it("treats pg's own read timeout as an overrun too", async () => {
    const s = setup(1);
    await flushMicrotasks();
    const q = boundedQuery(s.bounds, 'select 1');
    await flushMicrotasks();
    s.made[0]!.answers[0]!.reject(new Error('Query read timeout'));
    await expect(q).rejects.toThrow('Query read timeout');
    expect(s.made[0]!.destroyed).toBe(true);
  });
});

describe('PgLinks', () => {
  it('destroys every connection still open when asked (closing)', () => {
    const links = new PgLinks();
    const [a, b] = [new FakeClient(), new FakeClient()];
    links.adopt(a);
    links.adopt(b);
    links.destroyAll();
    expect([a.destroyed, b.destroyed]).toEqual([true, true]);
    expect(links.size).toBe(0);
  });

  it('refuses a connection it never saw open, or one that has ended', () => {
    const links = new PgLinks();
    const a = new FakeClient();
    expect(links.usable(a)).toBe(false);
    links.adopt(a);
    expect(links.usable(a)).toBe(true);
    a.connection.stream.destroy();
    expect(links.usable(a)).toBe(false);
  });
});
