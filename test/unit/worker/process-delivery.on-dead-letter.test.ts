import { InfrastructureError, TransientError } from '../../../src/domain/errors.js';
import { processDelivery } from '../../../src/worker/process-delivery.js';
import { JOB_ID } from '../../helpers/jobs.js';
import { jobBody } from '../../helpers/jobs.js';
import { world } from '../../helpers/process-world.js';

type Notice = { jobId?: string; tenantId?: string; reason: string };

function withHook() {
  const w = world();
  const notices: Notice[] = [];
  const deps = { ...w.deps, onDeadLetter: (n: Notice) => notices.push(n) };
  return { w, notices, run: (d: Parameters<typeof processDelivery>[0]) => processDelivery(d, deps, 'fresh') };
}

describe('processDelivery: the dead-letter hook', () => {
  it('is told of a job dead-lettered after its retries, once it is in the queue', async () => {
    const { w, notices, run } = withHook();
    w.enhancer.run = () => Promise.reject(new TransientError('still broken'));

    expect(await run(w.delivery({ attempt: 4 }))).toBe('failed');

    expect(notices).toEqual([{ jobId: JOB_ID, tenantId: 'acme', reason: 'retries_exhausted' }]);
  });

  it('is told of an invalid message, with whatever ids could be read', async () => {
    const { w, notices, run } = withHook();

    await run(w.delivery({ body: jobBody({ priority: 'urgent' }) }));
    await run(w.delivery({ body: Buffer.from('not json') }));

    expect(notices).toEqual([
      { jobId: JOB_ID, tenantId: 'acme', reason: 'validation' },
      { jobId: undefined, tenantId: undefined, reason: 'validation' },
    ]);
  });

  it('is told even when the row must wait for Postgres, and not at all when the dead letter failed', async () => {
    const { w, notices, run } = withHook();
    w.enhancer.run = () => Promise.reject(new TransientError('still broken'));
    w.history.on.fail = () => Promise.reject(new InfrastructureError('postgres down'));
    expect(await run(w.delivery({ attempt: 4 }))).toBe('delayed');
    expect(notices).toHaveLength(1);

    w.bus.on.deadLetter = () => Promise.reject(new Error('channel closed'));
    expect(await run(w.delivery({ attempt: 4 }))).toBe('requeued');
    expect(notices).toHaveLength(1);
  });

  it('is not told of retries', async () => {
    const { w, notices, run } = withHook();
    w.enhancer.run = () => Promise.reject(new TransientError('flaky'));

    expect(await run(w.delivery({ attempt: 1 }))).toBe('retried');
    expect(notices).toEqual([]);
  });
});
