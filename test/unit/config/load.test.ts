import { ConfigError, loadConfig } from '../../../src/config/load.js';

function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).name).toBe('ConfigError');
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/enhancer',
      databasePoolMax: 4,
      queuePrefix: 'enhancement',
      deliveryLimit: 5,
      concurrency: 8,
      prefetch: 16,
      softTimeoutMs: 100_000,
      hardTimeoutMs: 120_000,
      retry: { maxRetries: 3, baseMs: 2_000, maxDelayMs: 600_000, jitter: 0.2 },
      reconnect: { baseMs: 500, maxDelayMs: 30_000, jitter: 0.5 },
      suspectPollMs: 1_000,
      shutdownGraceMs: 130_000,
      pipeline: 'context',
      context: {
        stepTimeoutMs: 5_000,
        limits: { similar: 5, kb: 3, assets: 10 },
        poolMax: 4,
        noteMaxChars: 4_000,
      },
      servicedesk: { timeoutMs: 10_000 },
      log: { level: 'info', format: 'json', pod: undefined, descriptionChars: 0 },
      httpPort: 8080,
      health: { maxLoopLagMs: 10_000, lagWindowMs: 30_000, maxAbandoned: 4 },
      metricsMaxTenants: 1_000,
      cluster: {
        enabled: false,
        lease: { name: 'enhancer-janitor', durationMs: 15_000, renewDeadlineMs: 10_000, retryMs: 2_000 },
        janitor: { intervalMs: 60_000, marginMs: 300_000 },
        events: { perMinute: 10, burst: 10 },
      },
      ingest: { port: 8000, ratePerSecond: 50, burst: 50, dedupMs: 300_000, maxSkewMs: 300_000 },
      tracing: { serviceName: 'enhancer', sdkDisabled: false, exporters: [] },
      db: {
        connectTimeoutMs: 5_000,
        statementTimeoutMs: 5_000,
        migrationTimeoutMs: 300_000,
        keepAliveMs: 10_000,
      },
      amqp: { heartbeatS: 5, connectTimeoutMs: 10_000, keepAliveMs: 10_000 },
      writeStall: { readyMs: 10_000, liveMs: 60_000 },
      waitOutMaxMs: 30_000,
    });
  });

  it('configures the model only with LLM_BASE_URL, and wants LLM_MODEL with it', () => {
    expect(loadConfig({ LLM_MODEL: 'x' }).llm).toBeUndefined();
    expect(
      loadConfig({
        LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
        LLM_MODEL: 'llama3',
        LLM_API_KEY_FILE: '/run/k',
      }).llm,
    ).toEqual({
      baseUrl: 'http://127.0.0.1:11434/v1',
      apiKey: undefined,
      apiKeyFile: '/run/k',
      model: 'llama3',
      timeoutMs: 30_000,
      maxTokens: 500,
      temperature: 0.2,
    });
    expect(configErrorOf({ LLM_BASE_URL: 'http://x/v1' }).message).toBe(
      'LLM_MODEL is required when LLM_BASE_URL is set (the model name the server knows)',
    );
    const both = configErrorOf({
      LLM_BASE_URL: 'http://x/v1',
      LLM_MODEL: 'm',
      LLM_API_KEY: 'sk-abc',
      LLM_API_KEY_FILE: '/k',
    });
    expect(both.message).toBe('set LLM_API_KEY or LLM_API_KEY_FILE, not both');
    expect(both.message).not.toContain('sk-abc');
  });

  it('reads and coerces set variables', () => {
    const config = loadConfig({
      AMQP_URL: 'amqp://u:p@rabbit:5672/vh',
      WORKER_CONCURRENCY: '16',
      RETRY_JITTER: '0.5',
      RETRY_MAX: '0',
      QUEUE_PREFIX: 'stage_1.jobs-x',
      LOG_LEVEL: 'debug',
      POD_NAME: 'enhancer-7f9c',
      JOB_SOFT_TIMEOUT_MS: '5000',
      JOB_TIMEOUT_MS: '5000',
    });
    expect(config.amqpUrl).toBe('amqp://u:p@rabbit:5672/vh');
    expect(config.concurrency).toBe(16);
    expect(config.retry).toEqual({ maxRetries: 0, baseMs: 2_000, maxDelayMs: 600_000, jitter: 0.5 });
    expect(config.queuePrefix).toBe('stage_1.jobs-x');
    expect(config.log).toEqual({ level: 'debug', format: 'json', pod: 'enhancer-7f9c', descriptionChars: 0 });
    expect(config.softTimeoutMs).toBe(5000);
    expect(config.hardTimeoutMs).toBe(5000);
  });

  it('reads the logging, liveness and metrics bounds', () => {
    const config = loadConfig({
      LOG_DESCRIPTION_CHARS: '80',
      HEALTH_MAX_LOOP_LAG_MS: '2000',
      HEALTH_LAG_WINDOW_MS: '5000',
      HEALTH_MAX_ABANDONED: '0',
      METRICS_MAX_TENANTS: '50',
    });
    expect(config.log.descriptionChars).toBe(80);
    expect(config.health).toEqual({ maxLoopLagMs: 2_000, lagWindowMs: 5_000, maxAbandoned: 0 });
    expect(Object.isFrozen(config.health)).toBe(true);
    expect(config.metricsMaxTenants).toBe(50);
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ WORKER_CONCURRENCY: '', AMQP_URL: '', LOG_LEVEL: '', POD_NAME: '' });
    expect(config.concurrency).toBe(8);
    expect(config.amqpUrl).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(config.log).toEqual({ level: 'info', format: 'json', pod: undefined, descriptionChars: 0 });
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ SOMETHING_ELSE: 'x', PATH: '/bin' })).toEqual(loadConfig({}));
  });

  it('returns a frozen object, nested parts included', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.retry)).toBe(true);
    expect(Object.isFrozen(config.log)).toBe(true);
    expect(() => {
      (config as { concurrency: number }).concurrency = 1;
    }).toThrow(TypeError);
  });

  it.each([
    ['WORKER_CONCURRENCY', { WORKER_CONCURRENCY: 'x' }],
    ['WORKER_CONCURRENCY', { WORKER_CONCURRENCY: '0' }],
    ['WORKER_CONCURRENCY', { WORKER_CONCURRENCY: '1.5' }],
    ['RETRY_JITTER', { RETRY_JITTER: '2' }],
    ['RETRY_JITTER', { RETRY_JITTER: '-0.1' }],
    ['AMQP_URL', { AMQP_URL: 'nope' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['LOG_FORMAT', { LOG_FORMAT: 'xml' }],
    ['QUEUE_PREFIX', { QUEUE_PREFIX: 'my jobs' }],
    ['QUEUE_PREFIX', { QUEUE_PREFIX: '.hidden' }],
    ['HTTP_PORT', { HTTP_PORT: '65536' }],
    ['RETRY_MAX_DELAY_MS', { RETRY_MAX_DELAY_MS: String(2 ** 24) }],
    ['ENHANCER_PIPELINE', { ENHANCER_PIPELINE: 'gpt' }],
    ['LOG_DESCRIPTION_CHARS', { LOG_DESCRIPTION_CHARS: '-1' }],
    ['LOG_DESCRIPTION_CHARS', { LOG_DESCRIPTION_CHARS: 'all' }],
    ['HEALTH_MAX_LOOP_LAG_MS', { HEALTH_MAX_LOOP_LAG_MS: '0' }],
    ['HEALTH_MAX_LOOP_LAG_MS', { HEALTH_MAX_LOOP_LAG_MS: '10s' }],
    ['HEALTH_LAG_WINDOW_MS', { HEALTH_LAG_WINDOW_MS: '999' }],
    ['HEALTH_MAX_ABANDONED', { HEALTH_MAX_ABANDONED: '-1' }],
    ['HEALTH_MAX_ABANDONED', { HEALTH_MAX_ABANDONED: '2.5' }],
    ['METRICS_MAX_TENANTS', { METRICS_MAX_TENANTS: 'many' }],
    ['METRICS_MAX_TENANTS', { METRICS_MAX_TENANTS: '100001' }],
  ])('names %s in the ConfigError for %j', (variable, env) => {
    const err = configErrorOf(env);
    // Worded for a person: what the variable accepts and what it got, never zod's "expected number".
    expect(err.message).toMatch(
      new RegExp(`^${variable} must be .*, got ${JSON.stringify(Object.values(env)[0])}$`),
    );
    expect(err.message).not.toMatch(/expected|received|Invalid input/);
  });

  it('refuses a soft timeout longer than the hard one, naming both variables', () => {
    const err = configErrorOf({ JOB_SOFT_TIMEOUT_MS: '5001', JOB_TIMEOUT_MS: '5000' });
    expect(err.message).toBe('JOB_SOFT_TIMEOUT_MS must not exceed JOB_TIMEOUT_MS (5000), got 5001');
  });

  it('refuses a soft timeout longer than the default hard one', () => {
    const err = configErrorOf({ JOB_SOFT_TIMEOUT_MS: '120001' });
    expect(err.message).toBe('JOB_SOFT_TIMEOUT_MS must not exceed JOB_TIMEOUT_MS (120000), got 120001');
  });

  it('holds twice WORKER_CONCURRENCY unless told, and never fewer deliveries than it runs', () => {
    expect(loadConfig({ WORKER_CONCURRENCY: '32' }).prefetch).toBe(64);
    expect(loadConfig({ WORKER_CONCURRENCY: '32', WORKER_PREFETCH: '32' }).prefetch).toBe(32);
    const err = configErrorOf({ WORKER_CONCURRENCY: '8', WORKER_PREFETCH: '4' });
    expect(err.message).toBe('WORKER_PREFETCH must be at least WORKER_CONCURRENCY (8), got 4');
  });
});
