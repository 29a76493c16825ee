import { TransientError } from '../../../../src/domain/errors.js';
import type {
  CallOptions,
  Helpdesk,
  HelpdeskNote,
  LeaseOutcome,
  WritebackStore,
} from '../../../../src/pipeline/writeback/ports.js';
import { HelpdeskError } from '../../../../src/pipeline/writeback/ports.js';
import { marker } from '../../../../src/pipeline/writeback/note-html.js';
import { writeBack, type WritebackOptions } from '../../../../src/pipeline/writeback/write-back.js';
import type { ServiceDeskTarget } from '../../../../src/tenants/tenants.js';
import { FakeClock } from '../../../helpers/fake-clock.js';
import { enhanceContext } from '../../../helpers/enhance-context.js';
import { RecordingLogger } from '../../../helpers/fakes.js';
import { JOB_ID, validJob } from '../../../helpers/jobs.js';

const target: ServiceDeskTarget = {
  url: 'https://sdp.acme.example',
  auth: 'authtoken',
  token: { value: 't' },
};

class FakeHelpdesk implements Helpdesk {
  readonly calls: string[] = [];
  readonly options: CallOptions[] = [];
  notes: HelpdeskNote[] = [];
  add: () => Promise<{ id: string }> = () => Promise.resolve({ id: '501' });
  list: () => Promise<HelpdeskNote[]> = () => Promise.resolve(this.notes);
  addNote(_t: ServiceDeskTarget, requestId: string, html: string, opts: CallOptions) {
    this.calls.push(`add ${requestId} ${html.includes(marker(JOB_ID)) ? 'marked' : 'unmarked'}`);
    this.options.push(opts);
    return this.add();
  }
  listNotes(_t: ServiceDeskTarget, requestId: string, opts: CallOptions) {
    this.calls.push(`list ${requestId}`);
    this.options.push(opts);
    return this.list();
  }
}

class FakeStore implements WritebackStore {
  readonly calls: string[] = [];
  outcome: LeaseOutcome = { kind: 'leased', earlier: false };
  saved = true;
  lease(jobId: string, _tenant: string, leaseMs: number) {
    this.calls.push(`lease ${jobId === JOB_ID ? 'job' : jobId} ${leaseMs}`);
    return Promise.resolve(this.outcome);
  }
  release() {
    this.calls.push('release');
    return Promise.resolve();
  }
  save(_job: string, _tenant: string, record: { note_id: string; how: string }) {
    this.calls.push(`save ${record.note_id} ${record.how}`);
    return Promise.resolve(this.saved);
  }
}

function setup() {
  const helpdesk = new FakeHelpdesk();
  const store = new FakeStore();
  const outcomes: string[] = [];
  const opts: WritebackOptions = {
    helpdesk,
    store,
    clock: new FakeClock(0),
    timeoutMs: 10_000,
    metrics: { writeback: (o) => outcomes.push(o) },
  };
  const log = new RecordingLogger();
  return { helpdesk, store, outcomes, opts, log, ctx: enhanceContext({ log, deadlineAt: 100_000 }) };
}

const run = (s: ReturnType<typeof setup>, t: ServiceDeskTarget | null = target) =>
  writeBack(validJob(), 'the note', t ?? undefined, s.ctx, s.opts);

describe('writeBack', () => {
  it('skips a tenant without a helpdesk, touching nothing', async () => {
    const s = setup();
    expect(await run(s, null)).toEqual({ status: 'skipped' });
    expect([...s.store.calls, ...s.helpdesk.calls]).toEqual([]);
    expect(s.outcomes).toEqual(['skipped']);
  });

  it('leases, posts the marked note, and stores its id at once', async () => {
    const s = setup();
    expect(await run(s)).toEqual({ status: 'posted', note_id: '501', how: 'posted' });
    expect(s.store.calls).toEqual(['lease job 25000', 'save 501 posted']);
    expect(s.helpdesk.calls).toEqual(['add TICKET-42 marked']);
    expect(s.helpdesk.options[0]!.timeoutMs).toBe(10_000);
    expect(s.outcomes).toEqual(['posted']);
  });

  it('never posts when a note id is stored (a retry, a redelivery, a dlq replay)', async () => {
    const s = setup();
    s.store.outcome = { kind: 'posted', noteId: '77' };
    expect(await run(s)).toEqual({ status: 'posted', note_id: '77', how: 'already_posted' });
    expect(s.helpdesk.calls).toEqual([]);
  });

  it('adopts the note an earlier attempt posted but could not record', async () => {
    const s = setup();
    s.store.outcome = { kind: 'leased', earlier: true };
    s.helpdesk.notes = [
      { id: '9', description: 'someone else' },
      { id: '12', description: `<p>x</p><small>Added by ${marker(JOB_ID)}</small>` },
    ];
    expect(await run(s)).toEqual({ status: 'posted', note_id: '12', how: 'adopted' });
    expect(s.helpdesk.calls).toEqual(['list TICKET-42']);
    expect(s.store.calls).toEqual(['lease job 25000', 'save 12 adopted']);
    expect(s.outcomes).toEqual(['adopted']);
  });

  it('posts after an earlier attempt when the request holds no note of ours', async () => {
    const s = setup();
    s.store.outcome = { kind: 'leased', earlier: true };
    s.helpdesk.notes = [{ id: '9', description: `enhancer job 00000000-0000-4000-8000-000000000000` }];
    expect(await run(s)).toMatchObject({ note_id: '501', how: 'posted' });
    expect(s.helpdesk.calls).toEqual(['list TICKET-42', 'add TICKET-42 marked']);
  });

  it('waits for another attempt holding the lease, without posting', async () => {
    const s = setup();
    s.store.outcome = { kind: 'busy', heldForMs: 4000 };
    const err = await run(s).catch((e: unknown) => e as TransientError);
    expect(err).toMatchObject({ name: 'TransientError', retryAfterMs: 4500 });
    expect(s.helpdesk.calls).toEqual([]);
    expect(s.outcomes).toEqual(['busy']);
  });

  it.each([
    ['server_error', 'TransientError'],
    ['connection', 'TransientError'],
    ['timeout', 'TransientError'],
    ['ambiguous', 'TransientError'],
    ['auth', 'PermanentError'],
    ['not_found', 'PermanentError'],
    ['rejected', 'PermanentError'],
  ] as const)('turns %s into a %s and gives the lease back', async (kind, name) => {
    const s = setup();
    s.helpdesk.add = () => Promise.reject(new HelpdeskError(kind, 'x'));
    await expect(run(s)).rejects.toMatchObject({
      name,
      message: `servicedesk write-back failed (${kind}): x`,
    });
    expect(s.store.calls).toEqual(['lease job 25000', 'release']);
    expect(s.outcomes).toEqual([kind]);
  });

  it("honours a 429's Retry-After", async () => {
    const s = setup();
    s.helpdesk.add = () =>
      Promise.reject(new HelpdeskError('rate_limited', 'slow down', { retryAfterMs: 30_000 }));
    await expect(run(s)).rejects.toMatchObject({ name: 'TransientError', retryAfterMs: 30_000 });
  });

  it('bounds each call by what is left of the attempt', async () => {
    const s = setup();
    await writeBack(validJob(), 'n', target, enhanceContext({ deadlineAt: 3_000 }), s.opts);
    expect(s.helpdesk.options[0]!.timeoutMs).toBe(3_000);
  });

  it('says loudly when another attempt stored a different note first', async () => {
    const s = setup();
    s.store.saved = false;
    await run(s);
    expect(s.log.lines).toEqual([
      expect.objectContaining({ level: 'error', msg: expect.stringContaining('a second note') as unknown }),
    ]);
  });

  it('passes a database failure on untouched (waited out, not a helpdesk failure)', async () => {
    const s = setup();
    const down = Object.assign(new Error('postgres unavailable'), { name: 'InfrastructureError' });
    s.store.save = () => Promise.reject(down);
    await expect(run(s)).rejects.toBe(down);
  });

  it('stops with the attempt', async () => {
    const s = setup();
    const attempt = new AbortController();
    const reason = new Error('attempt aborted: deadline');
    s.helpdesk.add = () => {
      attempt.abort(reason);
      return Promise.reject(new HelpdeskError('timeout', 'x'));
    };
    await expect(
      writeBack(validJob(), 'n', target, enhanceContext({ signal: attempt.signal }), s.opts),
    ).rejects.toBe(reason);
  });
});
