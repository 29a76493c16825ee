import { metricValue } from '../../helpers/fakes.js';
import { SUSPECT_POLL_MS, settle, workerWorld } from '../../helpers/worker-world.js';

describe('Worker: consuming', () => {
  it('asks for WORKER_CONCURRENCY as the prefetch and never runs more jobs at once', async () => {
    const { port, worker, held, maxRunning, running, outcomes } = workerWorld({ concurrency: 3 });
    await worker.start();
    expect(worker.state).toBe('running');
    expect(worker.notReadyReason()).toBeNull();
    port.link.publish(...Array.from({ length: 10 }, () => ({})));
    await settle();
    expect(port.link.prefetch).toBe(3);

    while (held.length > 0) {
      expect(running()).toBeLessThanOrEqual(3);
      held[0]!.release();
      await settle();
    }

    expect(maxRunning()).toBe(3);
    expect(outcomes).toEqual(Array(10).fill('completed'));
    expect(port.link.events.filter((e) => e.startsWith('ack '))).toHaveLength(10);
  });

  it('a stop cancels the consumer at once, lets in-flight jobs finish, then closes', async () => {
    const { port, worker, held } = workerWorld({ concurrency: 2 });
    await worker.start();
    port.link.publish({}, {});
    await settle();
    expect(held).toHaveLength(2);

    const stopped = worker.stop(30_000);
    await settle();
    expect(worker.state).toBe('draining');
    expect(worker.notReadyReason()).toBe('worker is draining');
    expect(port.stopped).toBe(true);
    expect(port.link.events).toEqual(['consume', 'cancel']);
    // Nothing more is handed out once cancelled, even as the running jobs finish.
    port.link.publish({});
    held[0]!.release();
    await settle();
    expect(held).toHaveLength(1);
    expect(port.closed).toBe(false);

    held[0]!.release();
    await stopped;
    expect(worker.state).toBe('stopped');
    expect(port.closed).toBe(true);
    expect(port.link.events.filter((e) => e.startsWith('ack '))).toHaveLength(2);
    expect(port.link.queue).toHaveLength(1);
  });

  it('a job outliving the grace is aborted and comes back at the same attempt, not counted as a retry', async () => {
    const { w, port, worker, held, outcomes } = workerWorld();
    await worker.start();
    const [d] = port.link.publish({ attempt: 2 });
    await settle();
    const call = held[0]!;
    call.signal.addEventListener('abort', () => call.fail(call.signal.reason as Error));

    const stopped = worker.stop(10_000);
    await settle();
    w.clock.advance(9_999);
    await settle();
    expect(call.signal.aborted).toBe(false);
    w.clock.advance(1);
    await stopped;

    expect(outcomes).toEqual(['delayed']);
    expect(port.link.bus.delays).toEqual([{ attempt: 2, delayMs: 2_000 }]);
    expect(port.link.events).toEqual(['consume', 'cancel', 'bus.delay', `ack ${d!.messageId}`]);
    expect(await metricValue(w.metrics.retries)).toBe(0);
    expect(w.history.failures).toEqual([]);
    expect(port.closed).toBe(true);
  });

  it('a job that ignores the abort is left to the close, which returns it to the queue', async () => {
    const { w, port, worker, held } = workerWorld();
    await worker.start();
    port.link.publish({});
    await settle();

    const stopped = worker.stop(1_000, 2_000);
    await settle();
    w.clock.advance(1_000);
    await settle();
    expect(held[0]!.signal.aborted).toBe(true);
    expect(port.closed).toBe(false);
    w.clock.advance(2_000);
    await stopped;

    expect(port.closed).toBe(true);
    expect(worker.state).toBe('stopped');
    expect(port.link.events).toEqual(['consume', 'cancel']);
  });

  it('runs suspects found by the poll one at a time, with nothing else in hand, then consumes again', async () => {
    const { w, port, worker, held, maxRunning, outcomes } = workerWorld({ concurrency: 4 });
    await worker.start();
    await settle();
    port.link.publish({});
    await settle();
    const link = port.link;
    link.suspects.push(link.delivery({ redelivered: true }), link.delivery({ redelivered: true }));

    w.clock.advance(SUSPECT_POLL_MS);
    await settle();
    // The consumer is cancelled, and no suspect is taken while a fresh job still runs.
    expect(link.events).toEqual(['consume', 'cancel']);
    expect(worker.notReadyReason()).toBeNull();
    held[0]!.release();
    await settle();
    expect(link.events.slice(2)).toEqual([expect.stringMatching(/^ack /), 'get suspect']);
    expect(held).toHaveLength(1);
    held[0]!.release();
    await settle();
    held[0]!.release();
    await settle();

    expect(link.events.slice(3)).toEqual([
      'get suspect',
      expect.stringMatching(/^ack /),
      'get suspect',
      expect.stringMatching(/^ack /),
      'get suspect',
      'consume',
    ]);
    expect(maxRunning()).toBe(1);
    expect(outcomes).toEqual(['completed', 'completed', 'completed']);
  });

  it('moves a redelivered job aside, then runs it alone', async () => {
    const { port, worker, held, outcomes } = workerWorld();
    await worker.start();
    const link = port.link;
    const [suspect] = link.publish({ redelivered: true, redeliveries: 1 });
    await settle();

    expect(link.bus.quarantined.map((d) => d.messageId)).toEqual([suspect!.messageId]);

    expect(link.events).toEqual([
      'consume',
      'bus.quarantine',
      `ack ${suspect!.messageId}`,
      'cancel',
      'get suspect',
    ]);
    held[0]!.release();
    await settle();
    expect(outcomes).toEqual(['quarantined', 'completed']);
    expect(link.events.slice(5)).toEqual([`ack ${suspect!.messageId}`, 'get suspect', 'consume']);
  });

  it('runs suspects without an outcome hook too, as in production', async () => {
    const { port, worker, held } = workerWorld({ noOutcomeHook: true });
    await worker.start();
    const [suspect] = port.link.publish({ redelivered: true });
    await settle();

    expect(held.map((c) => c.jobId)).toEqual([suspect!.messageId]);
    held[0]!.release();
    await settle();
    expect(port.link.events.slice(-3)).toEqual([`ack ${suspect!.messageId}`, 'get suspect', 'consume']);
  });

  it('drops the link when the consumer cannot be registered', async () => {
    const { port, worker } = workerWorld();
    port.onLink = (link) => {
      link.registration = Promise.reject(new Error('channel closed'));
    };
    await worker.start();
    await settle();
    expect(port.link.open).toBe(false);
    expect(worker.state).toBe('reconnecting');
  });
});
