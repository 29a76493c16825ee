import { configSchema, compile, type Config } from './schema';

/** A configuration value that failed validation; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Environment → frozen Config. The only place the process environment is read. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset" so a blank line in a ConfigMap does not override a default.
  const present = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(
      `invalid ${key}=${JSON.stringify(present[key] ?? '')}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const config = compile(parsed.data);
  if (config.softTimeoutMs > config.hardTimeoutMs) {
    throw new ConfigError(
      `invalid JOB_SOFT_TIMEOUT_MS=${config.softTimeoutMs}: must not exceed JOB_TIMEOUT_MS=${config.hardTimeoutMs}`,
    );
  }
  return config;
}
