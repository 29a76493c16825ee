import { Writable } from 'node:stream';

/** Every buffer still alive, flushed by one exit listener. */
const live = new Set<{ deref(): TurnBuffer | undefined }>();

/** The least time between two writes to the target, by default. */
export const FLUSH_INTERVAL_MS = 10;
/** Pending text at which the buffer writes at once instead of waiting. */
export const FLUSH_BYTES = 64 * 1024;

/**
 * Lines reach `target` in few writes. A write to a pipe (what `kubectl logs` reads) is a system call
 * that wakes the reader, and a busy worker logs several lines per job, spread over many event-loop
 * turns. Lines written in one turn go out together at its end; if the last write was less than
 * `intervalMs` ago, they wait for that interval to pass (or for `FLUSH_BYTES` to pend), so a busy
 * process writes at most once per interval. Order is kept, and a line pending at exit is still flushed.
 */
export class TurnBuffer extends Writable {
  private parts: string[] = [];
  private bytes = 0;
  private lastFlushAt = -Infinity;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: NodeJS.WritableStream,
    private readonly intervalMs = FLUSH_INTERVAL_MS,
  ) {
    super({ decodeStrings: false });
    if (live.size === 0) process.once('exit', () => live.forEach((b) => b.deref()?.flush()));
    live.add(new WeakRef(this));
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : String(chunk);
    this.parts.push(text);
    this.bytes += text.length;
    if (this.bytes >= FLUSH_BYTES) this.flush();
    else if (!this.immediate && !this.timer) this.immediate = setImmediate(() => this.flushOrWait());
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.flush();
    done();
  }

  flush(): void {
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = this.timer = undefined;
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.bytes = 0;
    this.lastFlushAt = Date.now();
    this.target.write(text);
  }

  private flushOrWait(): void {
    this.immediate = undefined;
    const waitMs = this.lastFlushAt + this.intervalMs - Date.now();
    if (waitMs <= 0) return this.flush();
    // Unref'd: a pending line never keeps the process alive; the exit listener writes it.
    this.timer = setTimeout(() => this.flush(), waitMs).unref();
  }
}
