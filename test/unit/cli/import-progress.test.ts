import { Writable } from 'node:stream';
import { openProgress } from '../../../src/cli/import-progress.js';

/** Just enough of a terminal for cli-progress: it moves the cursor and clears lines. */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly columns = 100;
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  cursorTo(_x: number, _y?: number): boolean {
    return true;
  }
  moveCursor(_dx: number, _dy: number): boolean {
    return true;
  }
  clearLine(_dir: number): boolean {
    return true;
  }
  clearScreenDown(): boolean {
    return true;
  }
}

describe('openProgress', () => {
  it('draws nothing when stderr is not a terminal', () => {
    const pipe = Object.assign(new Writable({ write: (_c, _e, done) => done() }), { isTTY: false });
    expect(openProgress(pipe, 'tickets', 1000)).toBeUndefined();
  });

  it('draws a bar over the bytes of a file, with the rows read', () => {
    const term = new FakeTerminal();
    const progress = openProgress(term, 'tickets', 1000)!;
    progress.update({ rows: 120, invalid: 2, bytes: 500 });
    progress.stop();
    expect(term.text).toMatch(/tickets \[.*\] 50% \| 120 rows \| 2 invalid/);
  });

  it('counts rows when the size is unknown (stdin)', () => {
    const term = new FakeTerminal();
    const progress = openProgress(term, 'assets', undefined)!;
    progress.update({ rows: 7, invalid: 0, bytes: 300 });
    progress.stop();
    expect(term.text).toContain('assets 7 rows | 0 invalid');
    expect(term.text).not.toContain('%');
  });
});
