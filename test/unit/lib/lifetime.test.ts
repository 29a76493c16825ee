import { Lifetime } from '../../../src/lib/lifetime.js';

describe('Lifetime', () => {
  it('releases in reverse order, reports a failing release and goes on, then resolves done', async () => {
    const order: string[] = [];
    const errors: string[] = [];
    const life = new Lifetime((m) => errors.push(m));
    life.add(() => void order.push('db'));
    life.add(() => Promise.reject(new Error('broker close failed')));
    life.add(async () => {
      await Promise.resolve();
      order.push('http');
    });
    let done = false;
    void life.done.then(() => (done = true));

    await life.stop();

    expect(order).toEqual(['http', 'db']);
    expect(errors).toEqual(['broker close failed']);
    expect(done).toBe(true);
  });

  it('releases each thing once: a second release (after a failed start) does nothing', async () => {
    let n = 0;
    const life = new Lifetime(() => undefined);
    life.add(() => void n++);
    await life.release();
    await life.release();
    expect(n).toBe(1);
  });
});
