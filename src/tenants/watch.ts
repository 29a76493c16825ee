import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Clock, Timer } from '../lib/clock.js';
import { errorMessage } from '../lib/error-message.js';
import type { Logger } from '../observability/logger.js';

/** Events closer together than this are one change (an editor or the kubelet writes in steps). */
export const RELOAD_DEBOUNCE_MS = 100;

/**
 * Calls `reload` after the tenants file changes. It watches the file's directory, not the file: a
 * Kubernetes Secret volume updates by swapping the `..data` symlink, which replaces the file's inode
 * without ever writing to the old one, so a watch on the file would miss every update after the first.
 * Any event in the directory triggers a re-read; reloads never overlap.
 */
export function watchTenantsFile(
  file: string,
  reload: () => Promise<unknown>,
  opts: { clock: Clock; log: Logger },
): { close(): void } {
  let timer: Timer | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  const run = () => {
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = reload()
      .then(() => undefined)
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const watcher: FSWatcher = watch(path.dirname(path.resolve(file)), { persistent: false }, () => {
    timer?.clear();
    timer = opts.clock.setTimer(run, RELOAD_DEBOUNCE_MS);
  });
  watcher.on('error', (err) =>
    opts.log.error('watching the tenants file failed; changes will not be picked up', {
      error_message: errorMessage(err),
    }),
  );
  return {
    close: () => {
      timer?.clear();
      watcher.close();
    },
  };
}
