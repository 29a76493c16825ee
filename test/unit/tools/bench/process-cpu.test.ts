import {
  cpuPer1000,
  groupCpuMs,
  parseStat,
  pidsRoot,
  postgresRoot,
  rabbitmqRoot,
  readGroups,
  type ProcStat,
} from '../../../../tools/bench/process-cpu.js';

const proc = (
  pid: number,
  comm: string,
  ppid: number,
  times: number[] = [0, 0, 0, 0],
  cmdline?: string,
): ProcStat => {
  const [utime = 0, stime = 0, cutime = 0, cstime = 0] = times;
  return { pid, comm, ppid, utime, stime, cutime, cstime, ...(cmdline ? { cmdline } : {}) };
};

const SERVER = '/usr/lib/erlang/erts-13.1.5/bin/beam.smp -W w -- -root /usr/lib/erlang -s rabbit boot';
const CTL =
  '/usr/lib/erlang/erts-13.1.5/bin/beam.smp -B -- -boot start_clean -run escript start -escript main rabbitmqctl_escript';

describe('parseStat', () => {
  it('reads pid, name, parent and the four times, even when the name holds spaces and parentheses', () => {
    const text = '4242 (postgres: a (b) c) S 2222 4242 4242 0 -1 4194560 120 0 0 0 31 7 5 2 20 0 1 0';
    expect(parseStat(text)).toEqual({
      pid: 4242,
      comm: 'postgres: a (b) c',
      ppid: 2222,
      utime: 31,
      stime: 7,
      cutime: 5,
      cstime: 2,
    });
  });

  it('refuses what is not a stat line', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('12 (x) S')).toBeUndefined();
  });
});

describe('groupCpuMs', () => {
  const table = [
    proc(1, 'init', 0, [100, 100, 900, 900]),
    proc(2222, 'postgres', 1, [10, 5, 40, 10]), // postmaster; 50 ticks from reaped backends
    proc(2223, 'postgres', 2222, [3, 2, 0, 0]), // checkpointer
    proc(3001, 'postgres', 2222, [20, 10, 0, 0]), // a backend
    proc(2971, 'beam.smp', 1, [300, 50, 1, 0], SERVER),
    proc(2980, 'erl_child_setup', 2971, [1, 1, 0, 0]),
    proc(6000, 'beam.smp', 5999, [40, 9, 0, 0], CTL), // rabbitmqctl, gone by the next reading
    proc(6100, 'postgres', 6099, [2, 0, 0, 0]), // `postgres -V`, no children
    proc(5000, 'node', 1, [70, 30, 0, 0]),
  ];

  it('sums the roots and every descendant, reaped children included, in ms', () => {
    expect(groupCpuMs(table, postgresRoot)).toBe((15 + 50 + 5 + 30) * 10);
    expect(groupCpuMs(table, rabbitmqRoot)).toBe((351 + 2) * 10);
    expect(groupCpuMs(table, pidsRoot([5000]))).toBe(1000);
    expect(groupCpuMs(table, pidsRoot([]))).toBe(0);
  });

  it("leaves out the bench's own backend", () => {
    expect(groupCpuMs(table, postgresRoot, [3001])).toBe((15 + 50 + 5) * 10);
  });

  it('does not drop when a backend exits and the postmaster reaps it', () => {
    const before = groupCpuMs(table, postgresRoot);
    const after = groupCpuMs(
      table.filter((p) => p.pid !== 3001).map((p) => (p.pid === 2222 ? { ...p, cutime: p.cutime + 30 } : p)),
      postgresRoot,
    );
    expect(after).toBe(before);
  });

  it('takes a postgres whose parent is postgres as a backend, and a childless one for a command', () => {
    const picked = table.filter((p) => postgresRoot(p, new Map(table.map((q) => [q.pid, q]))));
    expect(picked.map((p) => p.pid)).toEqual([2222]);
  });
});

describe('cpuPer1000', () => {
  it('scales each group to 1000 jobs and adds them up', () => {
    const before = { workerMs: 1000, rabbitmqMs: 5000, postgresMs: 8000 };
    const after = { workerMs: 2500, rabbitmqMs: 5500, postgresMs: 9500 };
    expect(cpuPer1000(before, after, 3000)).toEqual({
      jobs: 3000,
      workerMs: 500,
      rabbitmqMs: 500 / 3,
      postgresMs: 500,
      totalMs: 500 + 500 / 3 + 500,
    });
  });

  it('shows a shrinking group as negative rather than as 0, and refuses an empty window', () => {
    const r = { workerMs: 10, rabbitmqMs: 10, postgresMs: 10 };
    expect(cpuPer1000(r, { ...r, postgresMs: 0 }, 10).postgresMs).toBe(-1000);
    expect(() => cpuPer1000(r, r, 0)).toThrow(/no jobs/);
  });
});

const linux = process.platform === 'linux' ? it : it.skip;
linux('reads this process from /proc', async () => {
  const spin = Date.now() + 30;
  while (Date.now() < spin);
  const r = await readGroups([process.pid]);
  expect(r.workerMs).toBeGreaterThan(0);
  expect(r.rabbitmqMs).toBeGreaterThanOrEqual(0);
  expect(r.postgresMs).toBeGreaterThanOrEqual(0);
});
