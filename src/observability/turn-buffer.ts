import { Writable } from 'node:stream';

/** Every buffer still alive, flushed by one exit listener. */
const live = new Set<{ deref(): TurnBuffer | undefined }>();

/**
 * Lines written during one turn of the event loop reach `target` in one write. A write to a pipe
 * (what `kubectl logs` reads) is a system call, and a busy worker logs several lines per job; joining
 * them costs nothing in order or latency (they go out before the next I/O), and a line pending at
 * process exit is still flushed.
 */
export class TurnBuffer extends Writable {
  private parts: string[] = [];
  private scheduled = false;

  constructor(private readonly target: NodeJS.WritableStream) {
    super({ decodeStrings: false });
    if (live.size === 0) process.once('exit', () => live.forEach((b) => b.deref()?.flush()));
    live.add(new WeakRef(this));
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.parts.push(typeof chunk === 'string' ? chunk : String(chunk));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.flush();
    done();
  }

  flush(): void {
    this.scheduled = false;
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.target.write(text);
  }
}
