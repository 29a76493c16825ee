import { Readable } from 'node:stream';
import { ndjsonRecords } from '../../../src/import/ndjson-records.js';
import type { SourceEvent } from '../../../src/import/source.js';

async function read(chunks: (string | Buffer)[], maxRecordBytes?: number): Promise<SourceEvent[]> {
  const events: SourceEvent[] = [];
  const source = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  for await (const e of ndjsonRecords(source, { maxRecordBytes })) events.push(e);
  return events;
}

const record = (line: number, fields: object) => ({ type: 'record', line, fields });
const unreadable = (line: number, reason: string | RegExp) => ({
  type: 'unreadable',
  issue: { line, field: 'json', reason: typeof reason === 'string' ? reason : expect.stringMatching(reason) },
});

describe('ndjsonRecords', () => {
  it('numbers records by their source line, skipping blank lines, with or without a last newline', async () => {
    expect(await read(['{"a":1}\n\n   \n{"a":2}\r\n{"a":3}'])).toEqual([
      record(1, { a: 1 }),
      record(4, { a: 2 }),
      record(5, { a: 3 }),
    ]);
  });

  it('joins a line split across chunks, even inside a multi-byte character', async () => {
    const bytes = Buffer.from('{"city":"Zürich"}\n{"n":2}\n');
    const cut = bytes.indexOf(0xbc); // second byte of ü
    expect(
      await read([bytes.subarray(0, cut), bytes.subarray(cut, cut + 3), bytes.subarray(cut + 3)]),
    ).toEqual([record(1, { city: 'Zürich' }), record(2, { n: 2 })]);
  });

  it('drops a byte-order mark before the first record', async () => {
    expect(await read(['\uFEFF{"a":1}\n'])).toEqual([record(1, { a: 1 })]);
  });

  it('reports what is not JSON, not an object, or not UTF-8, and reads on', async () => {
    const latin1 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xfc, 0x22, 0x7d, 0x0a]); // {"a":"ü"} in Latin-1
    expect(await read(['{"a":1,}\n', '[1,2]\n', '"text"\n', 'null\n', latin1, '{"a":6}\n'])).toEqual([
      unreadable(1, /^not valid JSON: /),
      unreadable(2, 'not a JSON object'),
      unreadable(3, 'not a JSON object'),
      unreadable(4, 'not a JSON object'),
      unreadable(5, 'not valid UTF-8'),
      record(6, { a: 6 }),
    ]);
  });

  it('reports a line longer than the limit without holding it, and reads on', async () => {
    const long = `{"a":"${'x'.repeat(100)}"}`;
    expect(await read([`${long.slice(0, 40)}`, `${long.slice(40)}\n{"b":1}\n`, long], 64)).toEqual([
      unreadable(1, 'line longer than 64 bytes'),
      record(2, { b: 1 }),
      unreadable(3, 'line longer than 64 bytes'),
    ]);
  });

  it('keeps a reason on one line: the parser quotes the input, tabs and all', async () => {
    expect(await read(['nope\tnope\n'])).toEqual([
      unreadable(1, `not valid JSON: Unexpected token 'o', "nope nope" is not valid JSON`),
    ]);
  });
});
