import { InfrastructureError, TransientError } from '../../../src/domain/errors.js';
import { JOB_ID } from '../../helpers/jobs.js';
import { world } from '../../helpers/process-world.js';

describe('processDelivery: a dead letter whose history row is still owed', () => {
  it('marks the delay when the row of a fresh dead letter could not be written', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new TransientError('still broken'));
    w.history.on.fail = () => Promise.reject(new InfrastructureError('postgres unavailable'));

    expect(await w.run(w.delivery({ attempt: 4 }))).toBe('delayed');

    expect(w.bus.deadLetters.map((l) => l.reason)).toEqual(['retries_exhausted']);
    expect(w.bus.delayMarks).toEqual(['retries_exhausted']);
  });

  it('on its next delivery only writes the row: no pipeline, no second dead letter', async () => {
    const w = world();
    const forced: unknown[] = [];
    w.history.on.forceFail = (p) => {
      forced.push(p);
      return Promise.resolve();
    };
    const d = w.delivery({ attempt: 4, deadLettered: { reason: 'retries_exhausted', errorMessage: 'boom' } });

    expect(await w.run(d)).toBe('dead_lettered');

    expect(w.events).toEqual(['history.forceFail', 'ack']);
    expect(forced).toEqual([{ jobId: JOB_ID, tenantId: 'acme', ticketId: 'TICKET-42', error: 'boom' }]);
    expect(w.enhancer.calls).toEqual([]);
    expect(w.bus.deadLetters).toEqual([]);
    // Counted when it was dead-lettered; writing its row later counts nothing again.
    expect((await w.metrics.deadLetters.get()).values).toEqual([]);
    expect((await w.metrics.tasks.get()).values).toEqual([]);
  });

  it('waits Postgres out again, keeping the mark, while the row still cannot be written', async () => {
    const w = world();
    w.history.on.forceFail = () => Promise.reject(new InfrastructureError('postgres unavailable'));
    const d = w.delivery({ attempt: 2, deadLettered: { reason: 'permanent', errorMessage: 'boom' } });

    expect(await w.run(d)).toBe('delayed');

    expect(w.events).toEqual(['history.forceFail', 'bus.delay', 'ack']);
    expect(w.bus.delays).toEqual([{ attempt: 2, delayMs: 2_000 }]);
    expect(w.bus.delayMarks).toEqual(['permanent']);
    expect(w.enhancer.calls).toEqual([]);
  });
});
