import type { ChildProcess } from 'node:child_process';

/** How a child process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** SIGTERM, then wait for `exited`; SIGKILL after `timeoutMs` (reported as `killed`). */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<Exit>,
  timeoutMs: number,
): Promise<Exit & { killed: boolean }> {
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), timeoutMs)));
  const first = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (first !== 'late') return { ...first, killed: false };
  child.kill('SIGKILL');
  return { ...(await exited), killed: true };
}
