/** The progress bar of `enhancer import`: on stderr, and only when stderr is a terminal. */
import { SingleBar } from 'cli-progress';
import type { ImportProgress } from '../import/types.js';

export interface Progress {
  update(p: ImportProgress): void;
  stop(): void;
}

/**
 * A bar over the file's bytes when its size is known, else a running count (stdin, a pipe).
 * Undefined when `stream` is not a terminal: a log or a pipe gets only the summary.
 */
export function openProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  kind: string,
  totalBytes: number | undefined,
): Progress | undefined {
  if (!stream.isTTY) return undefined;
  const known = totalBytes !== undefined && totalBytes > 0;
  const bar = new SingleBar({
    stream,
    format: known
      ? `${kind} [{bar}] {percentage}% | {rows} rows | {invalid} invalid | {eta_formatted}`
      : `${kind} {rows} rows | {invalid} invalid`,
    // Left visible: a Ctrl-C (which ends the import without stop()) must not leave the cursor hidden.
    hideCursor: false,
    clearOnComplete: true,
    etaBuffer: 50,
  });
  bar.start(known ? totalBytes : 0, 0, { rows: 0, invalid: 0 });
  return {
    update: (p) =>
      bar.update(known ? Math.min(p.bytes, totalBytes) : 0, { rows: p.rows, invalid: p.invalid }),
    stop: () => bar.stop(),
  };
}
