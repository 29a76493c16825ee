import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { stopChild, type Exit } from '../child-exit.js';
import { PRODUCT_CLI } from '../product.js';

const CLI = PRODUCT_CLI;

export type { Exit };

export const describeExit = (e: Exit): string =>
  e.signal ? `signal ${e.signal}` : e.code === null ? 'no exit code' : `code ${e.code}`;

/** Calls `fn` with each complete line of `stream`, and with the unterminated rest at its end. */
function eachLine(stream: Readable, fn: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    lines.forEach((l) => fn(l.trimEnd()));
  });
  stream.on('end', () => {
    if (buf.trim()) fn(buf.trimEnd());
  });
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Runs `enhancer <args>` to completion. Its output lines are returned and, when `echo` is given,
 * also printed as they come, each behind that prefix. A non-zero exit fails with the CLI's own
 * one-line error.
 */
export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  echo?: { prefix: string; write: (line: string) => void },
): Promise<string[]> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  eachLine(child.stdout, (l) => {
    out.push(l);
    echo?.write(`${echo.prefix}${l}`);
  });
  eachLine(child.stderr, (l) => {
    err.push(l);
    echo?.write(`${echo.prefix}${l}`);
  });
  const exit = await exitOf(child);
  if (exit.code !== 0) {
    const why = err.find((l) => l.trim()) ?? out.at(-1) ?? 'no output';
    throw new Error(`enhancer ${args.join(' ')} exited with ${describeExit(exit)}: ${why}`);
  }
  return out;
}

/** `enhancer worker` as a child process, every line it prints shown behind `prefix`. */
export class WorkerChild {
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private exit: Exit | undefined;
  private onStarted?: () => void;
  private hasStarted = false;

  constructor(env: NodeJS.ProcessEnv, prefix: string, write: (line: string) => void) {
    this.child = spawn(process.execPath, [CLI, 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const show = (l: string) => {
      write(`${prefix}${l}`);
      if (!this.hasStarted && /\bworker started\b/.test(l)) {
        this.hasStarted = true;
        this.onStarted?.();
      }
    };
    eachLine(this.child.stdout!, show);
    eachLine(this.child.stderr!, show);
    this.exited = exitOf(this.child).then(
      (e) => (this.exit = e),
      (err: Error) => {
        write(`${prefix}could not start: ${err.message}`);
        return (this.exit = { code: null, signal: null });
      },
    );
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Throws if the worker has ended by itself. */
  assertRunning(): void {
    if (this.exit) throw new Error(`the worker exited early with ${describeExit(this.exit)}`);
  }

  /** Resolves at its "worker started" line; fails if it exits first or `timeoutMs` passes. */
  started(timeoutMs: number): Promise<void> {
    if (this.hasStarted) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the worker did not log "worker started" within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      this.onStarted = () => {
        clearTimeout(timer);
        resolve();
      };
      void this.exited.then((e) => {
        clearTimeout(timer);
        reject(new Error(`the worker exited with ${describeExit(e)} before it started`));
      });
    });
  }

  /** SIGTERM, then wait for the exit; SIGKILL after `timeoutMs` (reported as `killed`). */
  async stop(timeoutMs: number): Promise<Exit & { killed: boolean }> {
    if (this.exit) return { ...this.exit, killed: false };
    return stopChild(this.child, this.exited, timeoutMs);
  }
}
