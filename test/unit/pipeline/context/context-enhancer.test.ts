import { TransientError } from '../../../../src/domain/errors.js';
import {
  contextEnhancer,
  type ContextEnhancerOptions,
} from '../../../../src/pipeline/context/context-enhancer.js';
import { Synthesizer } from '../../../../src/pipeline/synthesis/synthesize.js';
import type { ChatModel, ChatRequest } from '../../../../src/pipeline/synthesis/chat-model.js';
import type { Helpdesk, LeaseOutcome, WritebackStore } from '../../../../src/pipeline/writeback/ports.js';
import { HelpdeskError } from '../../../../src/pipeline/writeback/ports.js';
import type { Tenant } from '../../../../src/tenants/tenants.js';
import { FakeClock } from '../../../helpers/fake-clock.js';
import { FakeContextStore, aTicket } from '../../../helpers/fake-context-store.js';
import { enhanceContext } from '../../../helpers/enhance-context.js';
import { validJob } from '../../../helpers/jobs.js';

const acme: Tenant = {
  id: 'acme',
  secrets: [],
  requireTimestamp: false,
  servicedesk: { url: 'https://sdp.example', auth: 'authtoken', token: { value: 't' } },
};

function setup() {
  const clock = new FakeClock(0);
  const store = new FakeContextStore();
  store.similar = () => Promise.resolve([aTicket]);
  const requests: ChatRequest[] = [];
  const model: ChatModel = {
    model: 'm',
    complete: (req) => {
      requests.push(req);
      return Promise.resolve({ text: 'LLM note\n- more', model: 'm', promptTokens: 1, completionTokens: 1 });
    },
  };
  const posted: string[] = [];
  const helpdesk: Helpdesk = {
    addNote: (_t, _r, html) => {
      posted.push(html);
      return Promise.resolve({ id: '77' });
    },
    listNotes: () => Promise.resolve([]),
  };
  let lease: LeaseOutcome = { kind: 'leased', earlier: false };
  const wbStore: WritebackStore = {
    lease: () => Promise.resolve(lease),
    release: () => Promise.resolve(),
    save: () => Promise.resolve(true),
  };
  const tenants = new Map<string, Tenant>([['acme', acme]]);
  const opts: ContextEnhancerOptions = {
    store,
    clock,
    stepTimeoutMs: 5000,
    limits: { similar: 5, kb: 3, assets: 10 },
    noteMaxChars: 4000,
    synthesizer: new Synthesizer({
      model,
      clock,
      timeoutMs: 30_000,
      maxTokens: 100,
      temperature: 0,
      noteMaxChars: 4000,
    }),
    writeback: { tenants, helpdesk, store: wbStore, clock, timeoutMs: 10_000, reserveMs: 20_000 },
  };
  return { opts, requests, posted, helpdesk, setLease: (l: LeaseOutcome) => (lease = l) };
}

describe('contextEnhancer with a model and a helpdesk', () => {
  it("posts the model's note and records how it was made and where it went", async () => {
    const s = setup();
    const out = await contextEnhancer(s.opts).enhance(
      validJob({ tenant_id: 'acme' }),
      enhanceContext({ deadlineAt: 100_000 }),
    );
    expect(out.summary).toBe('LLM note');
    expect(out.result).toMatchObject({
      note: 'LLM note\n- more',
      synthesis: { kind: 'llm' },
      writeback: { status: 'posted', note_id: '77', how: 'posted' },
    });
    expect(s.posted[0]).toContain('<p>LLM note</p>');
  });

  it('keeps time for the write-back from the model, only when the tenant has a helpdesk', async () => {
    const s = setup();
    await contextEnhancer(s.opts).enhance(
      validJob({ tenant_id: 'acme' }),
      enhanceContext({ deadlineAt: 45_000 }),
    );
    await contextEnhancer(s.opts).enhance(
      validJob({ tenant_id: 'plain' }),
      enhanceContext({ deadlineAt: 45_000 }),
    );
    expect(s.requests.map((r) => r.timeoutMs)).toEqual([25_000, 30_000]);
  });

  it('skips the write-back for a tenant without a helpdesk', async () => {
    const s = setup();
    const out = await contextEnhancer(s.opts).enhance(validJob({ tenant_id: 'plain' }), enhanceContext());
    expect(out.result).toMatchObject({ writeback: { status: 'skipped' } });
    expect(s.posted).toEqual([]);
  });

  it('fails with the record attached (the note is kept), the error beside the lease state', async () => {
    const s = setup();
    s.helpdesk.addNote = () => Promise.reject(new HelpdeskError('not_found', 'request not found'));
    const err = await contextEnhancer(s.opts)
      .enhance(validJob({ tenant_id: 'acme' }), enhanceContext({ deadlineAt: 100_000 }))
      .catch((e: unknown) => e as Error & { result: Record<string, unknown> });
    expect(err).toMatchObject({ name: 'PermanentError' });
    expect(err.result).toMatchObject({
      note: 'LLM note\n- more',
      writeback_error: expect.stringContaining('not_found'),
    });
    expect(err.result).not.toHaveProperty('writeback');
  });

  it("keeps a transient failure's Retry-After", async () => {
    const s = setup();
    s.setLease({ kind: 'busy', heldForMs: 1000 });
    const err = await contextEnhancer(s.opts)
      .enhance(validJob({ tenant_id: 'acme' }), enhanceContext({ deadlineAt: 100_000 }))
      .catch((e: unknown) => e as TransientError);
    expect(err).toMatchObject({ name: 'TransientError', retryAfterMs: 1500 });
    expect(err.result).toHaveProperty('note');
  });
});
