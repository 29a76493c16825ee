import { InfrastructureError } from '../../../src/domain/errors.js';
import { settle, workerWorld } from '../../helpers/worker-world.js';

describe('Worker: when the broker link drops', () => {
  it('reports the jobs it held, waits for the new link, and consumes on it', async () => {
    const { port, worker, held } = workerWorld({ concurrency: 2 });
    await worker.start();
    port.link.publish({}, {});
    await settle();

    port.lose();

    expect(port.losses).toEqual([{ jobs_held: 2 }]);
    expect(worker.state).toBe('reconnecting');
    expect(worker.notReadyReason()).toBe('AMQP connection lost; reconnecting');
    const next = port.reconnect();
    await settle();
    expect(worker.state).toBe('running');
    expect(worker.notReadyReason()).toBeNull();
    expect(next.events).toEqual(['consume']);
    // The old link's jobs still run: the reconnect does not wait for them.
    expect(held).toHaveLength(2);
  });

  it("never runs more than WORKER_CONCURRENCY jobs, counting the old link's still running", async () => {
    const { port, worker, held, maxRunning } = workerWorld({ concurrency: 2 });
    await worker.start();
    port.link.publish({}, {});
    await settle();
    port.lose();
    const next = port.reconnect();
    await settle();

    const [first, second] = next.publish({}, {}); // the new link's full prefetch
    await settle();
    expect(held).toHaveLength(2);

    held[0]!.release(); // an old job ends: one slot, taken by the first waiting delivery
    await settle();
    expect(held.map((c) => c.jobId)).toContain(first!.messageId);
    expect(held.map((c) => c.jobId)).not.toContain(second!.messageId);
    held[0]!.release();
    await settle();
    expect(held.map((c) => c.jobId)).toEqual([first!.messageId, second!.messageId]);
    expect(maxRunning()).toBe(2);
  });

  it('does not run a waiting delivery whose link dropped (the broker has it back)', async () => {
    const { port, worker, held, outcomes } = workerWorld({ concurrency: 1 });
    await worker.start();
    port.link.publish({});
    await settle();
    port.lose();
    const second = port.reconnect();
    await settle();
    const [waiting] = second.publish({});
    await settle();
    port.lose();
    held[0]!.release();
    await settle();

    expect(held.map((c) => c.jobId)).not.toContain(waiting!.messageId);
    expect(outcomes).toEqual(['completed']);
  });

  it('settles and republishes a job only through the link it came on (its tag is stale on the next)', async () => {
    const { port, worker, held, outcomes } = workerWorld({ concurrency: 2 });
    await worker.start();
    const [done, retried] = port.link.publish({}, {});
    await settle();
    const old = port.link;
    port.lose();
    const next = port.reconnect();
    await settle();

    held.find((c) => c.jobId === done!.messageId)!.release();
    held.find((c) => c.jobId === retried!.messageId)!.fail(new Error('model said no'));
    await settle();

    expect(outcomes).toEqual(['completed', 'retried']);
    expect(old.events).toEqual([
      'consume',
      `stale ack ${done!.messageId}`,
      'bus.delay',
      `stale ack ${retried!.messageId}`,
    ]);
    expect(next.events).toEqual(['consume']);
    expect(next.bus.delays).toEqual([]);
  });

  it('runs the jobs it held when they come back, and moves other redelivered jobs aside', async () => {
    const { port, worker, held, outcomes } = workerWorld({ concurrency: 2 });
    await worker.start();
    const [mine] = port.link.publish({});
    await settle();
    port.lose();
    const next = port.reconnect();
    await settle();
    held[0]!.release(); // its run on the old link ends; the broker has requeued the message
    await settle();

    const [, stranger] = next.publish(
      { messageId: mine!.messageId, redelivered: true, redeliveries: 1 },
      { redelivered: true, redeliveries: 1 },
    );
    await settle();

    expect(held.map((c) => c.jobId)).toEqual([mine!.messageId]);
    expect(next.bus.quarantined.map((d) => d.messageId)).toEqual([stranger!.messageId]);
    expect(outcomes).toEqual(['completed', 'quarantined']);
  });

  it('trusts a job it held once only: a second copy is moved aside', async () => {
    const { port, worker, held } = workerWorld({ concurrency: 2 });
    await worker.start();
    const [mine] = port.link.publish({});
    await settle();
    port.lose();
    const next = port.reconnect();
    await settle();
    held[0]!.release();
    await settle();

    next.publish({ messageId: mine!.messageId, redelivered: true });
    await settle();
    held[0]!.release();
    await settle();
    next.publish({ messageId: mine!.messageId, redelivered: true });
    await settle();

    expect(next.bus.quarantined.map((d) => d.messageId)).toEqual([mine!.messageId]);
  });

  it('drops the link while draining: no reconnect, the jobs finish, the stop completes', async () => {
    const { port, worker, held } = workerWorld();
    await worker.start();
    const [d] = port.link.publish({});
    await settle();
    const stopped = worker.stop(30_000);
    await settle();

    port.lose();
    expect(port.reconnecting).toBe(false);
    expect(worker.state).toBe('draining');
    held[0]!.release();
    await stopped;

    expect(worker.state).toBe('stopped');
    expect(port.link.events).toEqual(['consume', 'cancel', `stale ack ${d!.messageId}`]);
    expect(port.links).toHaveLength(1);
  });

  it('a stop while reconnecting ends the reconnect, and a link that comes anyway is not consumed from', async () => {
    const { port, worker } = workerWorld();
    await worker.start();
    port.lose();
    expect(worker.state).toBe('reconnecting');

    await worker.stop(30_000);
    expect(port.stopped).toBe(true);
    expect(worker.state).toBe('stopped');

    port.reconnecting = true; // a try the port could not call back in time
    const late = port.reconnect();
    await settle();
    expect(late.events).toEqual([]);
    expect(worker.state).toBe('stopped');
  });

  it('a lost link during a suspect round: the round goes on over the new link, then consumes', async () => {
    const { port, worker, held, outcomes } = workerWorld();
    await worker.start();
    port.link.suspects.push(port.link.delivery({ redelivered: true }));
    port.link.publish({ redelivered: true });
    await settle();
    expect(held).toHaveLength(1);
    expect(port.link.events.slice(-2)).toEqual(['cancel', 'get suspect']);

    port.lose();
    const next = port.reconnect();
    await settle();
    held[0]!.release();
    await settle();

    expect(outcomes).toEqual(['quarantined', 'completed']);
    expect(next.events).toEqual(['get suspect', 'consume']);
    expect(worker.notReadyReason()).toBeNull();
  });

  it('drops a link whose suspect round fails for another reason, so it starts clean', async () => {
    const { w, port, worker } = workerWorld();
    await worker.start();
    port.link.nextSuspect = () => Promise.reject(new InfrastructureError('get failed'));
    port.link.publish({ redelivered: true });
    await settle();

    expect(port.link.open).toBe(false);
    expect(port.losses).toHaveLength(1);
    expect(w.logger.lines.map((l) => l.msg)).toContain('running suspects failed');
  });
});
