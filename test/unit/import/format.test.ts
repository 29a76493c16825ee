import { detectFormat, sourceLabel } from '../../../src/import/format.js';

describe('detectFormat', () => {
  it.each([
    ['tickets.ndjson', 'ndjson'],
    ['dir/tickets.JSONL', 'ndjson'],
    ['assets.csv', 'csv'],
    ['/tmp/KB.CSV', 'csv'],
  ])('tells %s by its extension: %s', (file, format) => {
    expect(detectFormat(file)).toEqual({ format });
  });

  it('lets --format win over the extension, and read stdin', () => {
    expect(detectFormat('export.txt', 'csv')).toEqual({ format: 'csv' });
    expect(detectFormat('tickets.csv', 'ndjson')).toEqual({ format: 'ndjson' });
    expect(detectFormat('-', 'ndjson')).toEqual({ format: 'ndjson' });
  });

  it.each([
    ['-', undefined, 'cannot tell the format of stdin: pass --format ndjson|csv'],
    [
      'tickets.json',
      undefined,
      'cannot tell the format of tickets.json from its extension: pass --format ndjson|csv',
    ],
    ['tickets', undefined, 'cannot tell the format of tickets from its extension: pass --format ndjson|csv'],
    ['tickets.csv', 'xlsx', '--format must be ndjson or csv, got "xlsx"'],
  ])('cannot tell %s with --format %s', (file, explicit, problem) => {
    expect(detectFormat(file, explicit)).toEqual({ problem });
  });

  it('names stdin "stdin" in issue lines, and a file by the path given', () => {
    expect(sourceLabel('-')).toBe('stdin');
    expect(sourceLabel('./data/t.csv')).toBe('./data/t.csv');
  });
});
