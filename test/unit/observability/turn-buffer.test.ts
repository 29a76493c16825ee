import { FLUSH_BYTES, TurnBuffer } from '../../../src/observability/turn-buffer.js';

function target() {
  const writes: string[] = [];
  return { writes, stream: { write: (s: string) => writes.push(s) } as unknown as NodeJS.WritableStream };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('TurnBuffer', () => {
  it('joins the lines of one event-loop turn into one write, in order', async () => {
    const t = target();
    const b = new TurnBuffer(t.stream);
    b.write('a\n');
    b.write('b\n');
    b.write('c\n');
    expect(t.writes).toEqual([]);
    await turn();
    expect(t.writes).toEqual(['a\nb\nc\n']);
  });

  describe('soon after a write', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('holds the next lines until the interval has passed, then writes them together', () => {
      const t = target();
      const b = new TurnBuffer(t.stream, 10);
      b.write('a\n');
      jest.advanceTimersByTime(0);
      expect(t.writes).toEqual(['a\n']);
      b.write('b\n');
      jest.advanceTimersByTime(4);
      b.write('c\n');
      jest.advanceTimersByTime(5);
      expect(t.writes).toEqual(['a\n']);
      jest.advanceTimersByTime(1);
      expect(t.writes).toEqual(['a\n', 'b\nc\n']);
      // Quiet for longer than the interval: the next line goes out at the end of its turn.
      jest.advanceTimersByTime(50);
      b.write('d\n');
      jest.advanceTimersByTime(0);
      expect(t.writes).toEqual(['a\n', 'b\nc\n', 'd\n']);
    });

    it('writes at once when a large amount is pending', () => {
      const t = target();
      const b = new TurnBuffer(t.stream, 10);
      const line = `${'x'.repeat(FLUSH_BYTES / 2)}\n`;
      b.write(line);
      expect(t.writes).toEqual([]);
      b.write(line);
      expect(t.writes).toEqual([line + line]);
      jest.advanceTimersByTime(20);
      expect(t.writes).toHaveLength(1);
    });
  });

  it('flushes what is pending on demand and writes nothing when empty', async () => {
    const t = target();
    const b = new TurnBuffer(t.stream);
    b.flush();
    expect(t.writes).toEqual([]);
    b.write('x\n');
    b.flush();
    expect(t.writes).toEqual(['x\n']);
    await turn();
    expect(t.writes).toEqual(['x\n']);
  });
});
