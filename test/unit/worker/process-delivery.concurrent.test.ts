import { deferred } from '../../helpers/deferred.js';
import { world } from '../../helpers/process-world.js';

describe('processDelivery: two deliveries of one job at the same time', () => {
  it('runs the first and brings the second back later at the same attempt', async () => {
    const w = world();
    const gate = deferred<{ summary: string }>();
    w.enhancer.run = () => gate.promise;
    const first = w.delivery({ attempt: 1 });
    const second = w.delivery({ attempt: 1 });

    const running = w.run(first);
    expect(await w.run(second)).toBe('delayed');
    expect(second.acks).toBe(1);
    expect(w.bus.delays).toEqual([{ attempt: 1, delayMs: 2_000 }]);

    gate.resolve({ summary: 'done' });
    expect(await running).toBe('completed');
    expect(w.enhancer.calls).toHaveLength(1);
    expect(w.deps.running.size).toBe(0);
  });

  it('lets the job run again here once the first delivery settled', async () => {
    const w = world();
    expect(await w.run(w.delivery())).toBe('completed');
    expect(await w.run(w.delivery())).toBe('completed');
    expect(w.enhancer.calls).toHaveLength(2);
  });
});
