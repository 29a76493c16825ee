import { settle, workerWorld } from '../../helpers/worker-world.js';

describe('Worker: holding deliveries past WORKER_CONCURRENCY (WORKER_PREFETCH)', () => {
  it('holds up to the prefetch, runs at most the concurrency, and starts a held one as a slot frees', async () => {
    const { port, worker, held, running, maxRunning, outcomes } = workerWorld({
      concurrency: 2,
      prefetch: 4,
    });
    await worker.start();
    const ds = port.link.publish({}, {}, {}, {}, {}, {});
    await settle();
    expect(port.link.prefetch).toBe(4);
    // Two run, two wait in hand, two are still the broker's.
    expect(held.map((c) => c.jobId)).toEqual([ds[0]!.messageId, ds[1]!.messageId]);
    expect(port.link.queue).toHaveLength(2);

    held[0]!.release();
    await settle();
    // The slot went to the first held delivery; the ack let the broker send one more to hold.
    expect(held.map((c) => c.jobId)).toEqual([ds[1]!.messageId, ds[2]!.messageId]);
    expect(port.link.queue).toHaveLength(1);

    while (held.length > 0) {
      expect(running()).toBeLessThanOrEqual(2);
      held[0]!.release();
      await settle();
    }
    expect(maxRunning()).toBe(2);
    expect(outcomes).toEqual(Array(6).fill('completed'));
  });

  it('a stop hands the held deliveries back at once, at their attempt, and lets the running ones finish', async () => {
    const { w, port, worker, held, outcomes } = workerWorld({ concurrency: 1, prefetch: 3 });
    await worker.start();
    const [runningJob, second, third] = port.link.publish({}, { attempt: 2 }, {});
    await settle();
    expect(held.map((c) => c.jobId)).toEqual([runningJob!.messageId]);

    const stopped = worker.stop(30_000);
    await settle();
    // Back in the queue through a confirmed republish (not a nack, which would charge a delivery).
    expect(port.link.bus.delays).toEqual([
      { attempt: 2, delayMs: 0 },
      { attempt: 1, delayMs: 0 },
    ]);
    expect(port.link.events).toEqual([
      'consume',
      'cancel',
      'bus.delay',
      'bus.delay',
      `ack ${second!.messageId}`,
      `ack ${third!.messageId}`,
    ]);
    expect(worker.state).toBe('draining');
    expect(held).toHaveLength(1);
    expect(w.logger.lines.filter((l) => l.msg === 'held jobs handed back to the queue')).toEqual([
      { level: 'info', msg: 'held jobs handed back to the queue', fields: { jobs: 2 } },
    ]);

    held[0]!.release();
    await stopped;
    expect(port.link.events.at(-1)).toBe(`ack ${runningJob!.messageId}`);
    expect(outcomes).toEqual(['completed']);
    expect(port.closed).toBe(true);
  });

  it('a held delivery the republish fails for is nacked, not lost', async () => {
    const { port, worker, held } = workerWorld({ concurrency: 1, prefetch: 2 });
    await worker.start();
    const [, waiting] = port.link.publish({}, {});
    await settle();
    port.link.bus.delay = () => Promise.reject(new Error('channel closed'));

    const stopped = worker.stop(30_000);
    await settle();
    expect(port.link.events).toContain(`nack ${waiting!.messageId}`);
    held[0]!.release();
    await stopped;
  });

  it('a held suspect is moved to the suspect queue at a stop, never republished as a fresh job', async () => {
    const { port, worker, held } = workerWorld({ concurrency: 1, prefetch: 2 });
    await worker.start();
    const [, suspect] = port.link.publish({}, { redelivered: true, redeliveries: 1 });
    await settle();

    const stopped = worker.stop(30_000);
    await settle();
    expect(port.link.bus.delays).toEqual([]);
    expect(port.link.bus.quarantined.map((d) => d.messageId)).toEqual([suspect!.messageId]);
    held[0]!.release();
    await stopped;
  });

  it('trusts a held delivery once when its link dropped: it killed nobody, so it is not a suspect', async () => {
    const { port, worker, held, outcomes } = workerWorld({ concurrency: 1, prefetch: 2 });
    await worker.start();
    const [, waiting] = port.link.publish({}, {});
    await settle();

    port.lose();
    expect(port.losses).toEqual([{ jobs_held: 2 }]);
    const next = port.reconnect();
    await settle();
    held[0]!.release(); // the old link's job ends; the waiting one does not run there
    await settle();
    expect(held).toHaveLength(0);

    next.publish({ messageId: waiting!.messageId, redelivered: true, redeliveries: 1 });
    await settle();
    expect(held.map((c) => c.jobId)).toEqual([waiting!.messageId]);
    expect(next.bus.quarantined).toEqual([]);
    held[0]!.release();
    await settle();
    expect(outcomes).toEqual(['completed', 'completed']);
  });

  it('hands back a held job that has no message id too, rather than running it during the drain', async () => {
    const { port, worker, held } = workerWorld({ concurrency: 1, prefetch: 2 });
    await worker.start();
    port.link.publish({}, { messageId: undefined });
    await settle();

    const stopped = worker.stop(30_000);
    await settle();
    expect(port.link.bus.delays).toEqual([{ attempt: 1, delayMs: 0 }]);
    expect(held).toHaveLength(1);
    held[0]!.release();
    await stopped;
    expect(port.link.events.filter((e) => e.startsWith('ack '))).toEqual([
      'ack undefined',
      expect.any(String),
    ]);
  });
});
