import { TurnBuffer } from '../../../src/observability/turn-buffer.js';

function target() {
  const writes: string[] = [];
  return { writes, stream: { write: (s: string) => writes.push(s) } as unknown as NodeJS.WritableStream };
}

describe('TurnBuffer', () => {
  it('joins the lines of one event-loop turn into one write, in order', async () => {
    const t = target();
    const b = new TurnBuffer(t.stream);
    b.write('a\n');
    b.write('b\n');
    b.write('c\n');
    expect(t.writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(t.writes).toEqual(['a\nb\nc\n']);
    b.write('d\n');
    await new Promise((r) => setImmediate(r));
    expect(t.writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('flushes what is pending on demand and writes nothing when empty', () => {
    const t = target();
    const b = new TurnBuffer(t.stream);
    b.flush();
    expect(t.writes).toEqual([]);
    b.write('x\n');
    b.flush();
    expect(t.writes).toEqual(['x\n']);
  });
});
