import { readFile } from 'node:fs/promises';

export interface MemoryKb {
  /** Resident set size now. */
  readonly rssKb: number;
  /** Peak resident set size ("high water mark") over the process's life. */
  readonly hwmKb: number;
}

/** VmRSS and VmHWM of a live process, from /proc/<pid>/status (Linux). */
export async function readMemory(pid: number): Promise<MemoryKb> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    throw new Error(`cannot read /proc/${pid}/status (process gone?): ${(err as Error).message}`, {
      cause: err,
    });
  }
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    if (!m) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(m[1]);
  };
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

export const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;

/** CPU time (user + system) a live process has used so far, in ms, from /proc/<pid>/stat. */
export async function readCpuMs(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at the last ')'; utime and stime are
  // fields 14 and 15 of the line, in clock ticks (USER_HZ, 100 on Linux).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
