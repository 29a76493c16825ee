import { ROOT_CONTEXT, createContextKey } from '@opentelemetry/api';
import { SyncContextManager } from '../../../src/observability/sync-context.js';

const key = createContextKey('k');

describe('SyncContextManager', () => {
  it('makes a context active for the synchronous call, then restores the previous one', () => {
    const m = new SyncContextManager();
    const outer = ROOT_CONTEXT.setValue(key, 'outer');
    const inner = ROOT_CONTEXT.setValue(key, 'inner');
    const seen: unknown[] = [];
    m.with(outer, () => {
      seen.push(m.active().getValue(key));
      m.with(inner, () => seen.push(m.active().getValue(key)));
      seen.push(m.active().getValue(key));
    });
    expect(seen).toEqual(['outer', 'inner', 'outer']);
    expect(m.active()).toBe(ROOT_CONTEXT);
  });

  it('restores the previous context when the call throws, and passes this and arguments through', () => {
    const m = new SyncContextManager();
    const ctx = ROOT_CONTEXT.setValue(key, 'x');
    expect(() =>
      m.with(ctx, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(m.active()).toBe(ROOT_CONTEXT);
    const self = { n: 2 };
    expect(
      m.with(
        ctx,
        function (this: typeof self, a: number) {
          return this.n * a;
        },
        self,
        21,
      ),
    ).toBe(42);
  });

  it('does not follow awaits: after the first await the root context is active again', async () => {
    const m = new SyncContextManager();
    const ctx = ROOT_CONTEXT.setValue(key, 'x');
    let after: unknown = 'unset';
    await m.with(ctx, async () => {
      await Promise.resolve();
      after = m.active().getValue(key);
    });
    expect(after).toBeUndefined();
  });

  it('binds a function to a context', () => {
    const m = new SyncContextManager();
    const ctx = ROOT_CONTEXT.setValue(key, 'bound');
    const f = m.bind(ctx, () => m.active().getValue(key));
    expect(f()).toBe('bound');
    expect(m.bind(ctx, 5)).toBe(5);
  });
});
