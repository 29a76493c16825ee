import { ConfigError, loadConfig } from '../../../src/config/load.js';

describe('cluster config', () => {
  it('is off outside a cluster and leaves client-node settings at their defaults', () => {
    const c = loadConfig({}).cluster;
    expect(c).toEqual({
      enabled: false,
      podName: undefined,
      namespace: undefined,
      podUid: undefined,
      lease: { name: 'enhancer-janitor', durationMs: 15_000, renewDeadlineMs: 10_000, retryMs: 2_000 },
      janitor: { intervalMs: 60_000, marginMs: 300_000 },
      events: { perMinute: 10, burst: 10 },
    });
  });

  it.each([
    [{ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, true],
    [{ KUBERNETES_SERVICE_HOST: '10.0.0.1', LEADER_ELECTION: 'false' }, false],
    [{ LEADER_ELECTION: 'true' }, true],
    [{ LEADER_ELECTION: 'auto' }, false],
  ])('%j → enabled %s', (env, enabled) => {
    expect(loadConfig(env).cluster.enabled).toBe(enabled);
  });

  it('takes the pod identity from the downward API variables', () => {
    const c = loadConfig({ POD_NAME: 'w-1', POD_NAMESPACE: 'jobs', POD_UID: 'u-1' }).cluster;
    expect(c).toMatchObject({ podName: 'w-1', namespace: 'jobs', podUid: 'u-1' });
  });

  it.each([
    [{ LEASE_RENEW_DEADLINE_MS: '15000' }],
    [{ LEASE_RETRY_MS: '10000' }],
    [{ LEASE_DURATION_MS: '5000' }],
  ])('refuses %j: the renew deadline must lie between the retry period and the duration', (env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/LEASE_RENEW_DEADLINE_MS/);
  });

  it('refuses a lease name that is not a DNS subdomain', () => {
    expect(() => loadConfig({ LEASE_NAME: 'Janitor_Lease' })).toThrow(/LEASE_NAME/);
  });
});
