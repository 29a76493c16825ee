/** The demo reads as a story: the worker's own log lines are counted, or shown as one dimmed line. */
import { WorkerLines } from '../../../tools/demo/worker-lines.js';

const log = (o: Record<string, unknown>) => JSON.stringify({ ts: '2026-01-01T00:00:00Z', pod: 'p', ...o });

describe('WorkerLines', () => {
  it('counts info and debug lines without printing them', () => {
    const shown: string[] = [];
    const lines = new WorkerLines((l) => shown.push(l), false);
    lines.take(log({ level: 'info', msg: 'job started', ticket_id: 'SD-1' }));
    lines.take(log({ level: 'debug', msg: 'acked' }));
    expect(shown).toEqual([]);
    expect(lines.hidden).toBe(2);
  });

  it('turns a warning into one short line with what went wrong, dimmed on a terminal', () => {
    const shown: string[] = [];
    const lines = new WorkerLines((l) => shown.push(l), true);
    lines.take(
      log({
        level: 'warn',
        msg: 'invalid job dead-lettered',
        reason: 'validation',
        error_message: 'x'.repeat(500),
      }),
    );
    expect(shown).toHaveLength(1);
    const line = shown[0]!;
    expect(line.startsWith('  \u001b[2mworker warn: invalid job dead-lettered (validation, xxx')).toBe(true);
    expect(line.endsWith(')\u001b[0m')).toBe(true);
    expect(shown[0]!.length).toBeLessThan(200);
  });

  it('shows a line that is not JSON as it came, marked as the worker’s', () => {
    const shown: string[] = [];
    new WorkerLines((l) => shown.push(l), false).take('Segmentation fault');
    expect(shown).toEqual(['  worker: Segmentation fault']);
  });
});
