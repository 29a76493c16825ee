import { readFile, stat } from 'node:fs/promises';
import { ConfigError } from '../config/load.js';
import { backgroundClock } from '../lib/clock.js';
import { errorMessage } from '../lib/error-message.js';
import type { Logger } from '../observability/logger.js';
import { TenantRegistry, parseTenants } from './tenants.js';
import { watchTenantsFile } from './watch.js';

export interface OpenTenants {
  readonly registry: TenantRegistry;
  /** Stops watching the file. */
  close(): void;
}

/**
 * Reads the tenants file (a ConfigError when it is unusable at start: the process must not run with
 * no tenants) and keeps it live: every change is re-read, and `onReload` runs after a good one.
 */
export async function openTenants(
  file: string,
  log: Logger,
  onReload: (registry: TenantRegistry) => void = () => undefined,
): Promise<OpenTenants> {
  const readAt = await modifiedAt(file);
  const initial = await readFile(file, 'utf8')
    .then(parseTenants)
    .catch((err: unknown) => {
      throw new ConfigError(`invalid TENANTS_FILE=${JSON.stringify(file)}: ${errorMessage(err)}`);
    });
  const registry = new TenantRegistry(initial, () => readFile(file, 'utf8'), log);
  const reload = async () => {
    if (await registry.reload()) onReload(registry);
  };
  const watcher = watchTenantsFile(file, reload, { clock: backgroundClock, log });
  // An edit between the first read and the watch would otherwise wait for the next one.
  if ((await modifiedAt(file)) !== readAt) await reload();
  return { registry, close: () => watcher.close() };
}

/** The file's mtime, or undefined when it cannot be read (the read that follows reports why). */
function modifiedAt(file: string): Promise<number | undefined> {
  return stat(file).then(
    (st) => st.mtimeMs,
    () => undefined,
  );
}
