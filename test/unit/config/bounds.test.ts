import { ConfigError, loadConfig } from '../../../src/config/load.js';

function failure(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect((err as Error).name).toBe('ConfigError');
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('network bounds in the config', () => {
  it('reads every bound', () => {
    const config = loadConfig({
      DATABASE_CONNECT_TIMEOUT_MS: '1500',
      DATABASE_QUERY_TIMEOUT_MS: '2500',
      MIGRATION_QUERY_TIMEOUT_MS: '60000',
      TCP_KEEPALIVE_MS: '3000',
      AMQP_HEARTBEAT_S: '2',
      AMQP_CONNECT_TIMEOUT_MS: '4000',
      WAIT_OUT_MAX_MS: '12000',
      READY_MAX_WRITE_STALL_MS: '800',
      HEALTH_MAX_WRITE_PENDING_MS: '9000',
    });
    expect(config.db).toEqual({
      connectTimeoutMs: 1_500,
      statementTimeoutMs: 2_500,
      migrationTimeoutMs: 60_000,
      keepAliveMs: 3_000,
    });
    expect(config.amqp).toEqual({ heartbeatS: 2, connectTimeoutMs: 4_000, keepAliveMs: 3_000 });
    expect(config.waitOutMaxMs).toBe(12_000);
    expect(config.writeStall).toEqual({ readyMs: 800, liveMs: 9_000 });
    expect(Object.isFrozen(config.db) && Object.isFrozen(config.amqp)).toBe(true);
  });

  it.each([
    ['AMQP_HEARTBEAT_S', '0'],
    ['AMQP_HEARTBEAT_S', '61'],
    ['DATABASE_CONNECT_TIMEOUT_MS', '0'],
    ['DATABASE_QUERY_TIMEOUT_MS', 'forever'],
    ['WAIT_OUT_MAX_MS', String(2 ** 24)],
    ['TCP_KEEPALIVE_MS', '10'],
  ])('refuses %s=%s', (key, value) => {
    expect(failure({ [key]: value })).toMatch(
      new RegExp(`^${key} must be a whole number .*, got "${value}"$`),
    );
  });
});

describe('config errors never print a password', () => {
  it.each([
    ['DATABASE_URL', 'postgres://app:S3cret@db:notaport/x'],
    ['AMQP_URL', 'amqp://app:S3cret@rabbit:notaport/'],
    ['DATABASE_URL', 'host=db user=app password=S3cret'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://user:S3cret@collector:bad'],
  ])('%s=%s', (key, value) => {
    const message = failure({ [key]: value });
    expect(message).toMatch(new RegExp(`^${key} must be a URL, got "`));
    expect(message).not.toContain('S3cret');
    expect(message).toContain('***');
  });
});
