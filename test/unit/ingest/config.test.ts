import { ConfigError, loadConfig } from '../../../src/config/load.js';

describe('ingest configuration', () => {
  it('reads the ingest variables, durations in ms', () => {
    const c = loadConfig({
      INGEST_PORT: '9000',
      TENANTS_FILE: '/etc/enhancer/tenants/tenants.json',
      INGEST_RATE_PER_TENANT: '2.5',
      INGEST_RATE_BURST: '10',
      INGEST_DEDUP_SECONDS: '0',
      INGEST_MAX_SKEW_SECONDS: '60',
    });
    expect(c.ingest).toEqual({
      port: 9000,
      tenantsFile: '/etc/enhancer/tenants/tenants.json',
      ratePerSecond: 2.5,
      burst: 10,
      dedupMs: 0,
      maxSkewMs: 60_000,
    });
    expect(Object.isFrozen(c.ingest)).toBe(true);
  });

  it('makes the burst the rate, rounded up, when unset', () => {
    expect(loadConfig({ INGEST_RATE_PER_TENANT: '2.5' }).ingest.burst).toBe(3);
    expect(loadConfig({ INGEST_RATE_PER_TENANT: '200' }).ingest.burst).toBe(200);
  });

  it.each([
    ['INGEST_RATE_PER_TENANT', '0'],
    ['INGEST_RATE_BURST', '0'],
    ['INGEST_PORT', '70000'],
    ['INGEST_MAX_SKEW_SECONDS', '0'],
    ['INGEST_DEDUP_SECONDS', '-1'],
  ])('refuses %s=%s', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`^${key} must be a .*, got "${value}"$`));
  });
});
