import { Dedup, type Claim } from '../../../src/ingest/dedup.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { flushMicrotasks } from '../../helpers/deferred.js';

let n = 0;
const newId = () => `job-${++n}`;

function publishClaim(c: Claim): Extract<Claim, { kind: 'publish' }> {
  if (c.kind !== 'publish') throw new Error(`expected publish, got ${c.kind}`);
  return c;
}

describe('Dedup', () => {
  beforeEach(() => (n = 0));

  it('gives a repeat of a published ticket within the window its job_id, and a new one after', () => {
    const clock = new FakeClock();
    const d = new Dedup(300_000);
    const first = publishClaim(d.claim('acme', 'T-1', clock.now(), newId));
    first.settle(true);
    clock.advance(299_999);
    expect(d.claim('acme', 'T-1', clock.now(), newId)).toEqual({ kind: 'published', jobId: first.jobId });
    clock.advance(1);
    const later = publishClaim(d.claim('acme', 'T-1', clock.now(), newId));
    expect(later.jobId).not.toBe(first.jobId);
  });

  it('tells tenants and tickets apart', () => {
    const d = new Dedup(1_000);
    publishClaim(d.claim('acme', 'T-1', 0, newId)).settle(true);
    expect(d.claim('globex', 'T-1', 0, newId).kind).toBe('publish');
    expect(d.claim('acme', 'T-2', 0, newId).kind).toBe('publish');
  });

  it('lets a post arriving before the first one’s confirm share its outcome', async () => {
    const d = new Dedup(1_000);
    const first = publishClaim(d.claim('acme', 'T-1', 0, newId));
    const second = d.claim('acme', 'T-1', 0, newId);
    expect(second.kind).toBe('in-flight');
    if (second.kind !== 'in-flight') return;
    expect(second.jobId).toBe(first.jobId);
    let outcome: boolean | undefined;
    void second.result.then((ok) => (outcome = ok));
    await flushMicrotasks();
    expect(outcome).toBeUndefined();
    first.settle(true);
    await flushMicrotasks();
    expect(outcome).toBe(true);
  });

  it('after a failed publish, publishes again under the same job_id', async () => {
    const d = new Dedup(1_000);
    const first = publishClaim(d.claim('acme', 'T-1', 0, newId));
    const waiting = d.claim('acme', 'T-1', 0, newId);
    first.settle(false);
    if (waiting.kind !== 'in-flight') throw new Error('expected in-flight');
    expect(await waiting.result).toBe(false);
    const retry = publishClaim(d.claim('acme', 'T-1', 10, newId));
    expect(retry.jobId).toBe(first.jobId);
    retry.settle(true);
    expect(d.claim('acme', 'T-1', 20, newId)).toEqual({ kind: 'published', jobId: first.jobId });
  });

  it('remembers nothing with a zero window', () => {
    const d = new Dedup(0);
    publishClaim(d.claim('acme', 'T-1', 0, newId)).settle(true);
    expect(d.claim('acme', 'T-1', 0, newId).kind).toBe('publish');
    expect(d.size).toBe(0);
  });

  it('is bounded: expired entries go, and past the size bound the oldest go first', () => {
    const d = new Dedup(1_000, 3);
    for (const id of ['a', 'b', 'c']) publishClaim(d.claim('t', id, 0, newId)).settle(true);
    expect(d.size).toBe(3);
    publishClaim(d.claim('t', 'd', 1, newId)).settle(true);
    expect(d.size).toBe(3);
    expect(d.claim('t', 'a', 2, newId).kind).toBe('publish'); // 'a' was dropped
    expect(d.claim('t', 'd', 2, newId).kind).toBe('published');
    d.claim('t', 'e', 5_000, newId);
    expect(d.size).toBe(1);
  });
});
