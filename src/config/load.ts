import type { z } from 'zod';
import { redactSecrets } from '../lib/redact.js';
import { refusal } from '../lib/schema-words.js';
import { configSchema, compile, type Config } from './schema.js';

/** A configuration value that failed validation; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Variables whose value an error never repeats. */
const SECRET = /KEY|SECRET|PASSWORD|TOKEN/;

/** Environment → frozen Config. The only place the process environment is read. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Blank values mean "unset", so an empty line in a ConfigMap does not override a default.
  const present = Object.fromEntries(
    Object.keys(configSchema.shape)
      .map((k) => [k, env[k]?.trim()] as const)
      .filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'environment');
    const schema = (configSchema.shape as Record<string, z.ZodType>)[key];
    // The value is shown (it is what the operator must fix), but never a password in it, nor a key.
    throw new ConfigError(
      redactSecrets(refusal(key, schema, present[key], issue?.message ?? 'invalid', SECRET.test(key))),
    );
  }
  const config = compile(parsed.data);
  if (config.softTimeoutMs > config.hardTimeoutMs) {
    throw new ConfigError(
      `JOB_SOFT_TIMEOUT_MS must not exceed JOB_TIMEOUT_MS (${config.hardTimeoutMs}), got ${config.softTimeoutMs}`,
    );
  }
  if (config.prefetch < config.concurrency) {
    throw new ConfigError(
      `WORKER_PREFETCH must be at least WORKER_CONCURRENCY (${config.concurrency}), got ${config.prefetch}`,
    );
  }
  if (config.llm && !config.llm.model) {
    throw new ConfigError('LLM_MODEL is required when LLM_BASE_URL is set (the model name the server knows)');
  }
  if (config.llm?.apiKey && config.llm.apiKeyFile) {
    throw new ConfigError('set LLM_API_KEY or LLM_API_KEY_FILE, not both');
  }
  const lease = config.cluster.lease;
  // As client-go insists: a leader must step down before others may take over, and retry in between.
  if (!(lease.retryMs < lease.renewDeadlineMs && lease.renewDeadlineMs < lease.durationMs)) {
    throw new ConfigError(
      `LEASE_RENEW_DEADLINE_MS must be above LEASE_RETRY_MS (${lease.retryMs}) and below LEASE_DURATION_MS (${lease.durationMs}), got ${lease.renewDeadlineMs}`,
    );
  }
  return config;
}

/** The environment for a child process this one starts: its own, plus `extra` (dev tools, tests). */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
