import { Readable } from 'node:stream';
import { csvRecords } from '../../../src/import/csv-records.js';
import type { SourceEvent } from '../../../src/import/source.js';

async function read(
  chunks: (string | Buffer)[],
  checkHeader?: (names: readonly string[]) => string | undefined,
): Promise<SourceEvent[]> {
  const events: SourceEvent[] = [];
  const source = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  for await (const e of csvRecords(source, { checkHeader })) events.push(e);
  return events;
}

const record = (line: number, fields: object) => ({ type: 'record', line, fields });

describe('csvRecords', () => {
  it('maps cells to the header, trimmed and lower-cased; lines count from the header', async () => {
    expect(await read(['Ticket_ID , subject\nT-1,VPN\nT-2,Mail\n'])).toEqual([
      record(2, { ticket_id: 'T-1', subject: 'VPN' }),
      record(3, { ticket_id: 'T-2', subject: 'Mail' }),
    ]);
  });

  it('follows RFC 4180 quoting: commas, doubled quotes and line breaks inside quotes', async () => {
    const text =
      'id,text\r\n1,"a, b"\r\n2,"say ""hi"""\r\n3,"two\r\nlines\nthree"\r\n\r\n4,after\r\n5,"12"" monitor"\r\n';
    expect(await read([text])).toEqual([
      record(2, { id: '1', text: 'a, b' }),
      record(3, { id: '2', text: 'say "hi"' }),
      record(4, { id: '3', text: 'two\r\nlines\nthree' }),
      record(8, { id: '4', text: 'after' }),
      record(9, { id: '5', text: '12" monitor' }),
    ]);
  });

  it('gives the line a multi-line record starts on, across chunks', async () => {
    const text = 'id,text\n1,"a\nb\nc"\n2,x\n';
    const chunks = text.match(/.{1,3}/gs)!;
    expect(await read(chunks)).toEqual([
      record(2, { id: '1', text: 'a\nb\nc' }),
      record(5, { id: '2', text: 'x' }),
    ]);
  });

  it('skips leading blank lines and a byte-order mark', async () => {
    expect(await read(['\uFEFF\n\nid,name\n1,x\n'])).toEqual([record(4, { id: '1', name: 'x' })]);
  });

  it('reports a record with the wrong number of fields and reads on', async () => {
    expect(await read(['a,b,c\n1,2\n1,2,3,4\n1,2,3\n'])).toEqual([
      { type: 'unreadable', issue: { line: 2, field: 'csv', reason: '2 fields, but the header has 3' } },
      { type: 'unreadable', issue: { line: 3, field: 'csv', reason: '4 fields, but the header has 3' } },
      record(4, { a: '1', b: '2', c: '3' }),
    ]);
  });

  it('stops at a header the kind refuses', async () => {
    expect(await read(['x,y\n1,2\n'], (names) => `bad header ${names.join('|')}`)).toEqual([
      { type: 'fatal', issue: { line: 1, field: 'header', reason: 'bad header x|y' } },
    ]);
  });

  // Records parsed from the same chunk before the error may be lost with it: nothing is imported then.
  it('stops at a quoting error, naming its line', async () => {
    expect((await read(['a,b\n1,2\n"bad"x,3\n4,5\n'])).at(-1)).toEqual({
      type: 'fatal',
      issue: { line: 3, field: 'csv', reason: expect.stringMatching(/^a closing quote is followed by/) },
    });
  });

  it('names the physical line of an error after a quoted CRLF (which csv-parse counts twice)', async () => {
    const events = await read(['a,b\r\n1,"x\r\ny"\r\n2,3\r\n4,5"\r\n']);
    expect(events.at(-1)).toMatchObject({ type: 'fatal', issue: { line: 5, field: 'csv' } });
  });

  it('stops at a quote inside an unquoted field, which RFC 4180 does not allow', async () => {
    expect(await read(['a,b\n1,12" monitor\n'])).toEqual([
      {
        type: 'fatal',
        issue: { line: 2, field: 'csv', reason: expect.stringMatching(/^a quote inside an unquoted field/) },
      },
    ]);
  });

  it('stops at a quote left open, naming the line its record starts on', async () => {
    expect(await read(['a,b\n1,2\n3,"open\n4,5\n6,7\n'])).toEqual([
      record(2, { a: '1', b: '2' }),
      {
        type: 'fatal',
        issue: { line: 3, field: 'csv', reason: 'a quoted field is not closed before the end of the input' },
      },
    ]);
  });

  it('stops at bytes that are not UTF-8, naming their line', async () => {
    const latin1 = Buffer.from('a,b\n1,2\n3,M\xfcnchen\n', 'latin1');
    expect(await read([latin1])).toEqual([
      { type: 'fatal', issue: { line: 3, field: 'csv', reason: 'not valid UTF-8 (save the file as UTF-8)' } },
    ]);
  });

  it('says so when there is not even a header', async () => {
    expect(await read(['\n\n'])).toEqual([
      { type: 'fatal', issue: { line: 1, field: 'header', reason: 'no header row (the input is empty)' } },
    ]);
  });
});
