import { InfrastructureError } from '../../../../src/domain/errors.js';
import { contextEnhancer } from '../../../../src/pipeline/context/context-enhancer.js';
import {
  gatherContext,
  strongArticles,
  type GatherOptions,
} from '../../../../src/pipeline/context/gather.js';
import type { EnhancementRecord } from '../../../../src/pipeline/context/types.js';
import { FakeClock } from '../../../helpers/fake-clock.js';
import { FakeContextStore, aTicket, hang } from '../../../helpers/fake-context-store.js';
import { enhanceContext } from '../../../helpers/enhance-context.js';
import { flushMicrotasks } from '../../../helpers/deferred.js';
import { validJob } from '../../../helpers/jobs.js';

function setup() {
  const clock = new FakeClock();
  const store = new FakeContextStore();
  const steps: [string, string, number][] = [];
  const opts: GatherOptions = {
    store,
    clock,
    stepTimeoutMs: 5000,
    limits: { similar: 5, kb: 3, assets: 10 },
    metrics: { observeStep: (step, status, seconds) => steps.push([step, status, seconds]) },
  };
  return { clock, store, steps, opts };
}

const job = validJob({
  ticket_id: 'T-9',
  tenant_id: 'acme',
  description: '<p>VPN drops</p> on 10.0.4.17 and <b>db-prod-3</b> & | ! ( ) : * 999.1.1.1',
});

describe('gatherContext', () => {
  it('runs the three steps at once, each with its own signal and the ticket in the shapes the SQL wants', async () => {
    const { store, opts } = setup();
    const out = await gatherContext(job, enhanceContext(), opts);
    expect(store.calls.map((c) => c.step)).toEqual(['similar_tickets', 'kb_articles', 'ip_assets']);
    const signals = new Set(store.calls.map((c) => c.opts.signal));
    expect(signals.size).toBe(3);
    expect(store.calls[0]!.query).toEqual({
      tenantId: 'acme',
      ticketId: 'T-9',
      text: 'VPN drops\non 10.0.4.17 and db-prod-3 & | ! ( ) : * 999.1.1.1',
      subject: 'VPN drops',
    });
    expect(store.calls[0]!.limit).toBe(5);
    expect(store.calls[1]!.limit).toBe(3);
    expect(store.calls[2]!.lookup).toEqual({
      addresses: ['10.0.4.17'],
      hostnames: ['vpn', 'drops', 'on', 'and', 'db-prod-3'],
    });
    expect(Object.values(out.steps).map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
  });

  it('does not ask for assets when the ticket names no address or host-like word', async () => {
    const { store, opts } = setup();
    await gatherContext(validJob({ description: '!!! ???' }), enhanceContext(), opts);
    expect(store.calls.map((c) => c.step)).toEqual(['similar_tickets', 'kb_articles']);
  });

  it('records a step that runs out of budget as timeout and completes with the others', async () => {
    const { clock, store, steps, opts } = setup();
    store.similar = () => Promise.resolve([aTicket]);
    store.kb = hang;
    const run = gatherContext(job, enhanceContext(), opts);
    await flushMicrotasks();
    clock.advance(5000);
    const out = await run;
    expect(out.steps.kb_articles).toMatchObject({ status: 'timeout', ms: 5000, count: 0 });
    expect(out.steps.similar_tickets).toEqual({ status: 'ok', ms: 0, count: 1 });
    expect(out.context.similar_tickets).toEqual([aTicket]);
    expect(out.context.kb_articles).toEqual([]);
    expect(steps).toEqual([
      ['similar_tickets', 'ok', 0],
      ['ip_assets', 'ok', 0],
      ['kb_articles', 'timeout', 5],
    ]);
  });

  it('fails as an infrastructure error (waited out) when every step failed and Postgres was unreachable', async () => {
    const { store, opts } = setup();
    const down = () => Promise.reject(new InfrastructureError('postgres unavailable: ECONNREFUSED'));
    store.similar = down;
    store.kb = down;
    store.ips = down;
    await expect(gatherContext(job, enhanceContext(), opts)).rejects.toMatchObject({
      name: 'InfrastructureError',
      message: expect.stringContaining('similar_tickets: postgres unavailable: ECONNREFUSED'),
    });
  });

  it('fails as an infrastructure error when every step got no answer within its budget', async () => {
    const { clock, store, opts } = setup();
    store.similar = hang;
    store.kb = hang;
    store.ips = hang;
    const run = gatherContext(job, enhanceContext(), opts);
    await flushMicrotasks();
    clock.advance(5000);
    await expect(run).rejects.toMatchObject({ name: 'InfrastructureError' });
  });

  it('fails as transient when every step failed for another reason', async () => {
    const { store, opts } = setup();
    const bad = () => Promise.reject(Object.assign(new Error('cancelled'), { code: '57014' }));
    store.similar = bad;
    store.kb = bad;
    store.ips = bad;
    await expect(gatherContext(job, enhanceContext(), opts)).rejects.toMatchObject({
      name: 'TransientError',
    });
  });

  it('throws the attempt abort reason when the attempt was aborted meanwhile', async () => {
    const { store, opts } = setup();
    const attempt = new AbortController();
    store.similar = hang;
    store.kb = hang;
    store.ips = hang;
    const run = gatherContext(job, enhanceContext({ signal: attempt.signal }), opts);
    await flushMicrotasks();
    const reason = new Error('attempt aborted: deadline');
    attempt.abort(reason);
    await expect(run).rejects.toBe(reason);
  });
});

describe('contextEnhancer', () => {
  it('stores the note, the context, the steps and how the note was made; the summary is its first line', async () => {
    const { store, opts } = setup();
    store.similar = () => Promise.resolve([aTicket]);
    const out = await contextEnhancer({ ...opts, noteMaxChars: 4000 }).enhance(job, enhanceContext());
    const record = out.result as unknown as EnhancementRecord;
    expect(out.summary).toBe('Context for ticket T-9: 1 similar resolved ticket.');
    expect(record.note.split('\n')[0]).toBe(out.summary);
    expect(record.context).toEqual({ similar_tickets: [aTicket], kb_articles: [], ip_assets: [] });
    expect(Object.keys(record.steps)).toEqual(['similar_tickets', 'kb_articles', 'ip_assets']);
    expect(record.synthesis).toEqual({ kind: 'extractive' });
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });
});

describe('strongArticles', () => {
  const article = (id: string, score: number) => ({ article_id: id, score });

  it('drops articles scoring under half of the best one', () => {
    const kept = strongArticles([article('a', 1.44), article('b', 0.72), article('c', 0.64)]);
    expect(kept.map((a) => a.article_id)).toEqual(['a', 'b']);
  });

  it('keeps every article when all of them are weak alike', () => {
    const kept = strongArticles([article('a', 0.6), article('b', 0.54), article('c', 0.53)]);
    expect(kept).toHaveLength(3);
  });

  it('keeps nothing out of nothing', () => {
    expect(strongArticles([])).toEqual([]);
  });
});
