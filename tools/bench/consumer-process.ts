import { spawn, type ChildProcess } from 'node:child_process';
import { stopChild, type Exit } from '../child-exit.js';

export type { Exit };

/**
 * A consumer running as a child `node` process (so its pid is the process measured). Its stdout is
 * drained and discarded, so a chatty logger never blocks on a full pipe; the end of its stderr is
 * kept for error messages.
 */
export class ConsumerProcess {
  /** Date.now() just before spawn. */
  readonly spawnedAt: number;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private stderrTail = '';
  private exit: Exit | undefined;
  private nextRequest = 0;
  private readonly pending = new Map<number, (reply: unknown) => void>();

  constructor(
    readonly name: string,
    script: string,
    args: readonly string[],
    opts: { env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[]; ipc?: boolean } = {},
  ) {
    this.spawnedAt = Date.now();
    this.child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script, ...args], {
      env: opts.env,
      stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    // Replies to ask(): `{ id, ...answer }`.
    this.child.on('message', (m: { id?: number }) => {
      const reply = m.id === undefined ? undefined : this.pending.get(m.id);
      if (!reply) return;
      this.pending.delete(m.id!);
      reply(m);
    });
    this.child.stdout!.resume();
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    this.exited = new Promise<Exit>((resolve) => {
      this.child.on('error', (err) => {
        this.stderrTail += `\nspawn failed: ${err.message}`;
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start${this.describeExit()}`);
    return this.child.pid;
  }

  /**
   * Sends `request` (with an id added) over the IPC channel (spawned with `ipc: true`) and resolves
   * with the child's reply carrying that id; rejects if the child exits first.
   */
  ask<T>(request: Record<string, unknown>): Promise<T> {
    this.assertRunning();
    if (!this.child.send) throw new Error(`${this.name} was not spawned with an IPC channel`);
    const id = this.nextRequest++;
    const reply = new Promise<T>((resolve) => this.pending.set(id, (m) => resolve(m as T)));
    this.child.send({ ...request, id });
    const gone = this.exited.then(() => {
      throw new Error(`${this.name} exited before answering${this.describeExit()}`);
    });
    return Promise.race([reply, gone]);
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Throws if the process has exited (a consumer must not end by itself). */
  assertRunning(): void {
    if (!this.running) throw new Error(`${this.name} exited early${this.describeExit()}`);
  }

  describeExit(): string {
    const e = this.exit;
    const how = e ? ` (code ${e.code ?? '-'}, signal ${e.signal ?? '-'})` : '';
    const tail = this.stderrTail.trim();
    return `${how}${tail ? `; stderr:\n${tail}` : ''}`;
  }

  /** SIGTERM, then wait; SIGKILL after `timeoutMs`. Returns the exit as the process reported it. */
  async stop(timeoutMs: number): Promise<Exit & { killed: boolean }> {
    if (!this.running) return { ...(await this.exited), killed: false };
    return stopChild(this.child, this.exited, timeoutMs);
  }

  /** Last resort on failure paths. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
