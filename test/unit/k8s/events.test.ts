import { DeadLetterEvents, type PodEvent } from '../../../src/k8s/events.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { RecordingLogger } from '../../helpers/fakes.js';
import { flushMicrotasks } from '../../helpers/deferred.js';

const START = Date.parse('2026-11-28T19:00:00.000Z');

function setup(opts: { fail?: boolean; hang?: boolean } = {}) {
  const clock = new FakeClock(START);
  const log = new RecordingLogger();
  const posted: PodEvent[] = [];
  let suppressed = 0;
  const events = new DeadLetterEvents({
    sink: {
      create: (e) => {
        posted.push(e);
        if (opts.hang) return new Promise<void>(() => undefined);
        return opts.fail ? Promise.reject(new Error('forbidden')) : Promise.resolve();
      },
    },
    clock,
    log,
    pod: { name: 'enhancer-7d9f-abc', namespace: 'jobs', uid: 'u-1' },
    perMinute: 10,
    burst: 10,
    onSuppressed: () => suppressed++,
    stopWaitMs: 5_000,
  });
  return { clock, log, posted, events, suppressed: () => suppressed };
}

describe('DeadLetterEvents', () => {
  it('posts a Warning JobDeadLettered Event about the worker’s Pod', async () => {
    const { posted, events } = setup();
    events.notify({ jobId: 'j-1', tenantId: 'acme', reason: 'retries_exhausted' });
    await events.stop();
    expect(posted).toEqual([
      {
        name: expect.stringMatching(/^enhancer-7d9f-abc\.[0-9a-f]+$/),
        namespace: 'jobs',
        type: 'Warning',
        reason: 'JobDeadLettered',
        action: 'DeadLetter',
        message: 'job j-1 of tenant acme dead-lettered: retries_exhausted',
        involvedObject: { kind: 'Pod', name: 'enhancer-7d9f-abc', namespace: 'jobs', uid: 'u-1' },
        reportingController: 'enhancer',
        reportingInstance: 'enhancer-7d9f-abc',
        at: START,
      },
    ]);
  });

  it('posts at most the burst in a storm, counts the rest and tells them in the next Event', async () => {
    const { clock, posted, events, suppressed } = setup();
    for (let i = 0; i < 100; i++) events.notify({ jobId: `j-${i}`, tenantId: 'acme', reason: 'validation' });
    expect(posted).toHaveLength(10);
    expect(suppressed()).toBe(90);
    expect(new Set(posted.map((e) => e.name)).size).toBe(10);

    clock.advance(6_000);
    events.notify({ jobId: 'j-100', tenantId: 'acme', reason: 'validation' });
    expect(posted).toHaveLength(11);
    expect(posted[10]!.message).toBe(
      'job j-100 of tenant acme dead-lettered: validation; 90 more dead letters not reported (rate limit)',
    );
    clock.advance(6_000);
    events.notify({ reason: 'validation' });
    expect(posted[11]!.message).toBe('job (unreadable id) of tenant unknown dead-lettered: validation');
    await events.stop();
  });

  it('logs a failed post at warn and never throws', async () => {
    const { log, events } = setup({ fail: true });
    expect(() => events.notify({ jobId: 'j-1', tenantId: 'acme', reason: 'permanent' })).not.toThrow();
    await events.stop();
    expect(log.lines).toEqual([
      {
        level: 'warn',
        msg: 'could not post a Kubernetes Event',
        fields: { reason: 'JobDeadLettered', error_message: 'forbidden' },
      },
    ]);
  });

  it('posts nothing after stop', async () => {
    const { posted, events } = setup();
    await events.stop();
    events.notify({ jobId: 'j-1', tenantId: 'acme', reason: 'permanent' });
    expect(posted).toEqual([]);
  });

  it('stop waits for a post that never answers at most stopWaitMs', async () => {
    const { clock, log, events } = setup({ hang: true });
    events.notify({ jobId: 'j-1', tenantId: 'acme', reason: 'permanent' });
    let stopped = false;
    void events.stop().then(() => (stopped = true));
    clock.advance(4_999);
    await flushMicrotasks();
    expect(stopped).toBe(false);
    clock.advance(1);
    await flushMicrotasks();
    expect(stopped).toBe(true);
    expect(log.lines).toEqual([
      { level: 'warn', msg: 'gave up waiting for Kubernetes Events', fields: { posting: 1 } },
    ]);
    expect(clock.pending).toBe(0);
  });
});
