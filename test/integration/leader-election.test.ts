/**
 * The elector and the Event poster through the real @kubernetes/client-node, over HTTP, against an
 * in-process fake of the API server. Short leases (1 s on the wire, the API's smallest) keep it fast.
 */
import { systemClock } from '../../src/lib/clock.js';
import { DeadLetterEvents } from '../../src/k8s/events.js';
import { kubeApis } from '../../src/k8s/kube-api.js';
import { LeaderElector } from '../../src/k8s/lease-elector.js';
import { RecordingLogger } from '../helpers/fakes.js';
import { startFakeKubeApi, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { waitFor } from '../helpers/services.js';

const NS = 'jobs';
const LEASE = 'enhancer-janitor';
const DURATION = 1_000;
const DEADLINE = 500;
const RETRY = 100;
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const TIMEOUTS = { clock: systemClock, leaseMs: DEADLINE, eventMs: 1_000 };

let fake: FakeKubeApi;
const started: LeaderElector[] = [];

beforeEach(async () => {
  fake = await startFakeKubeApi();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.stop()));
  await fake.close();
});

async function candidate(identity: string) {
  const apis = await kubeApis(fake.configure(identity), TIMEOUTS);
  const state = { leading: false, starts: 0, stops: 0 };
  const elector = new LeaderElector({
    api: apis.leases,
    clock: systemClock,
    log: new RecordingLogger(),
    name: LEASE,
    namespace: NS,
    identity,
    durationMs: DURATION,
    renewDeadlineMs: DEADLINE,
    retryMs: RETRY,
    onStartedLeading: () => {
      state.leading = true;
      state.starts++;
    },
    onStoppedLeading: () => {
      state.leading = false;
      state.stops++;
    },
  });
  started.push(elector);
  return { elector, state, start: () => elector.start() };
}

const spec = () => fake.leases.get(`${NS}/${LEASE}`)?.spec ?? {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('leader election on a Lease (client-node against a fake API server)', () => {
  it('two candidates: exactly one leads, and the Lease carries MicroTime times', async () => {
    const a = await candidate('pod-a');
    const b = await candidate('pod-b');
    a.start();
    b.start();
    await waitFor('a leader', () => a.state.leading || b.state.leading, 5_000, 10);
    const overlap: number[] = [];
    for (let i = 0; i < 60; i++) {
      if (a.state.leading === b.state.leading) overlap.push(i);
      await sleep(20);
    }
    expect(overlap).toEqual([]);
    const leader = a.state.leading ? 'pod-a' : 'pod-b';
    expect(spec()).toMatchObject({ holderIdentity: leader, leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(spec().renewTime).toMatch(MICRO_TIME);
    expect(spec().acquireTime).toMatch(MICRO_TIME);
  });

  it('a leader cut off from the API server steps down; the other takes over after expiry', async () => {
    const a = await candidate('pod-a');
    a.start();
    await waitFor('pod-a leads', () => a.state.leading, 5_000, 10);
    const b = await candidate('pod-b');
    b.start();
    await sleep(3 * RETRY);

    fake.blocked.add('pod-a');
    const cut = Date.now();
    await waitFor('pod-a steps down', () => !a.state.leading, 5_000, 10);
    expect(Date.now() - cut).toBeLessThanOrEqual(DEADLINE + 2 * RETRY);
    expect(b.state.leading).toBe(false);
    await waitFor('pod-b leads', () => b.state.leading, 5_000, 10);
    expect(Date.now() - cut).toBeGreaterThanOrEqual(DURATION - RETRY);
    expect(spec()).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1 });
    expect(a.state).toMatchObject({ leading: false, starts: 1, stops: 1 });
  });

  it('a 409 on update leaves the candidate a follower until the lease really expires', async () => {
    fake.put(NS, LEASE, { holderIdentity: 'pod-old', leaseDurationSeconds: 1, leaseTransitions: 2 });
    const a = await candidate('pod-a');
    a.start();
    // When pod-a's wait is over, pod-old renews just before pod-a's update lands.
    let raced = 0;
    const renewByOld = () => {
      raced++;
      fake.put(NS, LEASE, { holderIdentity: 'pod-old', leaseDurationSeconds: 1, leaseTransitions: 2 });
    };
    fake.beforeNextPut = renewByOld;
    await waitFor('the race', () => raced === 1, 5_000, 10);
    await sleep(3 * RETRY);
    expect(a.state).toMatchObject({ leading: false, starts: 0 });
    expect(spec().holderIdentity).toBe('pod-old');
    await waitFor('pod-a leads once pod-old is gone', () => a.state.leading, 5_000, 10);
    expect(spec()).toMatchObject({ holderIdentity: 'pod-a', leaseTransitions: 3 });
  });

  it('a hung API server: every call fails at its timeout and its request is dropped', async () => {
    const apis = await kubeApis(fake.configure('pod-h'), { ...TIMEOUTS, leaseMs: 200, eventMs: 300 });
    fake.hung.add('pod-h');
    const lease = { holder: 'pod-h', durationMs: DURATION, transitions: 0 };
    const timedOut = async (call: Promise<unknown>, ms: number) => {
      const t = Date.now();
      await expect(call).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - t).toBeGreaterThanOrEqual(ms - 20);
      expect(Date.now() - t).toBeLessThan(ms + 500);
    };
    await timedOut(apis.leases.read(LEASE, NS), 200);
    await timedOut(apis.leases.create(LEASE, NS, lease), 200);
    await timedOut(apis.leases.replace(LEASE, NS, { ...lease, resourceVersion: '1' }), 200);
    await timedOut(
      apis.events.create({
        name: 'e.1',
        namespace: NS,
        type: 'Warning',
        reason: 'JobDeadLettered',
        action: 'DeadLetter',
        message: 'm',
        involvedObject: { kind: 'Pod', name: 'p', namespace: NS },
        reportingController: 'enhancer',
        reportingInstance: 'p',
        at: Date.now(),
      }),
      300,
    );
    // Aborted, not left open on the server.
    await waitFor('hung requests dropped', () => fake.hanging() === 0, 2_000, 10);
  });

  it('a leader whose API server hangs steps down, comes back, and stops within the bound', async () => {
    const a = await candidate('pod-a');
    a.start();
    await waitFor('pod-a leads', () => a.state.leading, 5_000, 10);
    fake.hung.add('pod-a');
    const cut = Date.now();
    await waitFor('pod-a steps down', () => !a.state.leading, 5_000, 10);
    expect(Date.now() - cut).toBeLessThanOrEqual(DEADLINE + 2 * RETRY);
    fake.hung.delete('pod-a');
    await waitFor('pod-a leads again', () => a.state.leading, 5_000, 10);

    fake.hung.add('pod-a');
    await sleep(2 * RETRY);
    const stopping = Date.now();
    await a.elector.stop();
    expect(Date.now() - stopping).toBeLessThanOrEqual(2 * DEADLINE + 200);
    expect(a.state).toMatchObject({ leading: false, starts: 2, stops: 2 });
  });

  it('releases the Lease on stop, so the other takes over at once', async () => {
    const a = await candidate('pod-a');
    a.start();
    await waitFor('pod-a leads', () => a.state.leading, 5_000, 10);
    const b = await candidate('pod-b');
    b.start();
    await sleep(3 * RETRY);

    const stopped = Date.now();
    await a.elector.stop();
    expect(spec().holderIdentity).toBe('');
    await waitFor('pod-b leads', () => b.state.leading, 5_000, 10);
    expect(Date.now() - stopped).toBeLessThan(DURATION / 2);
  });
});

describe('JobDeadLettered Events (client-node against a fake API server)', () => {
  async function poster(perMinute = 10, burst = 10) {
    const apis = await kubeApis(fake.configure(), TIMEOUTS);
    return new DeadLetterEvents({
      sink: apis.events,
      clock: systemClock,
      log: new RecordingLogger(),
      pod: { name: 'enhancer-7d9f-abc', namespace: NS },
      perMinute,
      burst,
    });
  }

  it('posts a Warning on the worker’s Pod with a MicroTime eventTime', async () => {
    const events = await poster();
    events.notify({ jobId: 'j-1', tenantId: 'acme', reason: 'retries_exhausted' });
    await events.stop();
    expect(fake.events).toHaveLength(1);
    const { namespace, body } = fake.events[0]!;
    expect(namespace).toBe(NS);
    expect(body).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { namespace: NS },
      type: 'Warning',
      reason: 'JobDeadLettered',
      action: 'DeadLetter',
      message: 'job j-1 of tenant acme dead-lettered: retries_exhausted',
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'enhancer-7d9f-abc', namespace: NS },
      reportingComponent: 'enhancer',
      reportingInstance: 'enhancer-7d9f-abc',
      count: 1,
    });
    expect(body.eventTime).toMatch(MICRO_TIME);
    expect(body.firstTimestamp).toEqual(expect.any(String));
  });

  it('a storm of 100 dead letters posts at most the bucket’s worth', async () => {
    const events = await poster(10, 10);
    for (let i = 0; i < 100; i++) events.notify({ jobId: `j-${i}`, tenantId: 'acme', reason: 'validation' });
    await events.stop();
    expect(fake.events).toHaveLength(10);
  });
});
