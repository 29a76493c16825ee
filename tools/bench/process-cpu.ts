import { readdir, readFile } from 'node:fs/promises';

/**
 * Where the CPU goes while a worker runs: the worker process(es), RabbitMQ and Postgres, each read
 * from /proc (Linux) before and after a window, as CPU ms per 1000 jobs.
 *
 * Method. Each group is a tree of processes: its roots (the worker pids; each RabbitMQ node's
 * `beam.smp`; each postmaster) and all their descendants. A
 * group's CPU is the sum, over its live processes, of utime + stime + cutime + cstime from
 * /proc/<pid>/stat. The c-fields hold the CPU of children the process has already reaped, and the
 * postmaster reaps every backend, so a backend that exits during the window moves its CPU from its
 * own line into the postmaster's cutime and the sum does not drop; one born and gone inside the
 * window shows up only there. The difference of two readings is therefore the group's CPU over the
 * window, connections that come and go included, without tracking pids. Granularity is one clock
 * tick (10 ms) per process read, so short windows are coarse. Every Postgres cluster and RabbitMQ
 * node on the machine is counted (the bench expects one of each, on a quiet machine), and so is
 * whatever else talks to them meanwhile, except the bench's own progress queries: their backend
 * (it lives as long as the window) is left out by pid.
 */

/** One line of /proc/<pid>/stat, the fields used here; times in clock ticks. */
export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly ppid: number;
  readonly utime: number;
  readonly stime: number;
  readonly cutime: number;
  readonly cstime: number;
  /** The command line, read only where a root picker needs it (beam.smp); NULs become spaces. */
  readonly cmdline?: string;
}

/** USER_HZ: Linux reports process times in 1/100 s on every architecture Node runs on. */
const MS_PER_TICK = 10;

/** Parses /proc/<pid>/stat; undefined if the text is not one. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After the command name (which may hold spaces and parentheses): state ppid pgrp session tty_nr
  // tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ... (fields 3 onwards).
  const f = text.slice(close + 2).split(' ');
  const n = (i: number) => Number(f[i]);
  const stat = {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    ppid: n(1),
    utime: n(11),
    stime: n(12),
    cutime: n(13),
    cstime: n(14),
  };
  return Object.values(stat).some((v) => typeof v === 'number' && !Number.isFinite(v)) ? undefined : stat;
}

/** Every process's stat now; processes that exit while being read are skipped. */
export async function readProcTable(): Promise<ProcStat[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  const stats = await Promise.all(
    pids.map(async (pid) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').then(parseStat, () => undefined);
      if (stat?.comm !== 'beam.smp') return stat;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
      return cmdline === undefined ? undefined : { ...stat, cmdline: cmdline.replaceAll('\0', ' ') };
    }),
  );
  return stats.filter((s): s is ProcStat => s !== undefined);
}

/** Chooses a group's roots from the table (which it may consult, e.g. for a parent's name). */
export type RootPicker = (p: ProcStat, byPid: ReadonlyMap<number, ProcStat>) => boolean;

export const pidsRoot =
  (pids: readonly number[]): RootPicker =>
  (p) =>
    pids.includes(p.pid);

/**
 * RabbitMQ: the node's Erlang VM and what it spawns (erl_child_setup, inet_gethost). rabbitmqctl
 * and the other CLI tools run on beam.smp too, as escripts, for a second or so each: counted, one
 * that exits between two readings would take its CPU with it and the difference could go negative.
 */
export const rabbitmqRoot: RootPicker = (p) =>
  p.comm === 'beam.smp' && !/\brun escript\b|\bescript main\b/.test(p.cmdline ?? '');

/**
 * Postgres: each postmaster (a `postgres` not started by another, with `postgres` children: its
 * checkpointer, writers, backends); one-off `postgres` commands (`postgres -V`) have none.
 */
export const postgresRoot: RootPicker = (p, byPid) =>
  p.comm === 'postgres' &&
  byPid.get(p.ppid)?.comm !== 'postgres' &&
  [...byPid.values()].some((q) => q.ppid === p.pid && q.comm === 'postgres');

/**
 * CPU ms of the roots `pick` selects and all their descendants, reaped children included; the
 * processes in `exclude` are not counted themselves (their descendants still are).
 */
export function groupCpuMs(
  table: readonly ProcStat[],
  pick: RootPicker,
  exclude: readonly number[] = [],
): number {
  const byPid = new Map(table.map((p) => [p.pid, p]));
  const children = new Map<number, ProcStat[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const seen = new Set<number>();
  const stack = table.filter((p) => pick(p, byPid));
  let ticks = 0;
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    if (!exclude.includes(p.pid)) ticks += p.utime + p.stime + p.cutime + p.cstime;
    stack.push(...(children.get(p.pid) ?? []));
  }
  return ticks * MS_PER_TICK;
}

/** CPU ms of each group at one moment. */
export interface CpuReading {
  readonly workerMs: number;
  readonly rabbitmqMs: number;
  readonly postgresMs: number;
}

/** Reads the groups now; `notPostgres`: backends that serve the bench, not the worker. */
export async function readGroups(
  workerPids: readonly number[],
  notPostgres: readonly number[] = [],
): Promise<CpuReading> {
  const table = await readProcTable();
  return {
    workerMs: groupCpuMs(table, pidsRoot(workerPids)),
    rabbitmqMs: groupCpuMs(table, rabbitmqRoot),
    postgresMs: groupCpuMs(table, postgresRoot, notPostgres),
  };
}

/** CPU ms per 1000 jobs of each group over a window, and the jobs it covered. */
export interface CpuPer1000 {
  readonly jobs: number;
  readonly workerMs: number;
  readonly rabbitmqMs: number;
  readonly postgresMs: number;
  readonly totalMs: number;
}

export function cpuPer1000(before: CpuReading, after: CpuReading, jobs: number): CpuPer1000 {
  if (jobs <= 0) throw new Error(`no jobs completed in the CPU window (${jobs})`);
  // Not clamped at 0: a group can only shrink if a process left it unreaped by its tree, and a
  // negative figure shows that, where 0 would hide it.
  const per = (a: number, b: number) => ((a - b) * 1000) / jobs;
  const workerMs = per(after.workerMs, before.workerMs);
  const rabbitmqMs = per(after.rabbitmqMs, before.rabbitmqMs);
  const postgresMs = per(after.postgresMs, before.postgresMs);
  return { jobs, workerMs, rabbitmqMs, postgresMs, totalMs: workerMs + rabbitmqMs + postgresMs };
}
