/**
 * CSV with a header row, quoted per RFC 4180, parsed by csv-parse. The header is checked once; a
 * record with the wrong number of fields is unreadable but the next one is fine; a quoting error
 * ends the read, because where the following records start is guesswork after it; so does a quote
 * inside an unquoted field (`12" monitor`), which RFC 4180 does not allow. Bytes that are not UTF-8
 * stop the read too: a Latin-1 export would otherwise be imported garbled.
 */
import { pipeline } from 'node:stream';
import { TextDecoder } from 'node:util';
import { CsvError, parse, type Info, type Options } from 'csv-parse';
import type { ImportIssue } from './issues.js';
import { headerName } from './validate.js';
import { MAX_RECORD_BYTES, oneLine, type ReadOptions, type Source, type SourceEvent } from './source.js';

const LINE_BREAK = /\r\n|\r|\n/g;

/** A parsed record and the physical line it starts on. */
interface Numbered {
  readonly record: string[];
  readonly line: number;
}

/** Thrown from the decoding stage, caught below and reported as a fatal issue. */
class NotUtf8 extends Error {
  override readonly name = 'NotUtf8';
  constructor(readonly line: number) {
    super('not valid UTF-8 (save the file as UTF-8)');
  }
}

/**
 * Physical lines, counted here: csv-parse counts each `\r` and `\n` inside a quoted field as a line of
 * its own, so after a quoted CRLF its numbers drift from what an editor shows.
 */
class LineCounter {
  /** Physical line the last record ended on, and csv-parse's count there. */
  end = 0;
  private parserEnd = 0;
  private empty = 0;

  /** The line `record` starts on; moves past it. */
  next(record: readonly string[], info: Info): number {
    const start = this.end + (info.empty_lines - this.empty) + 1;
    this.empty = info.empty_lines;
    this.end = start + record.reduce((n, cell) => n + (cell.match(LINE_BREAK)?.length ?? 0), 0);
    this.parserEnd = info.lines;
    return start;
  }

  /** A line number from csv-parse, corrected by the drift seen so far. */
  fromParser(lines: number | undefined): number {
    return lines === undefined ? this.end + 1 : Math.max(this.end + 1, lines - (this.parserEnd - this.end));
  }
}

export async function* csvRecords(source: Source, opts: ReadOptions = {}): AsyncGenerator<SourceEvent> {
  const max = opts.maxRecordBytes ?? MAX_RECORD_BYTES;
  const lines = new LineCounter();
  const options: Options<Numbered, string[]> = {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: max,
    // Counted as parsed, not as read: records parsed before an error in the same chunk never reach
    // the loop below, yet the error's line depends on them.
    on_record: (record, info) => ({ record, line: lines.next(record, info) }),
  };
  // csv-parse's overloads type on_record as returning a record; ours returns it with its line.
  const parser = parse(options as unknown as Options);
  // Errors surface through the parser's iterator below; the callback only keeps pipeline quiet.
  pipeline(source, decodeStrictly(opts.onBytes), parser, () => undefined);

  let header: string[] | undefined;
  try {
    for await (const { record, line } of parser as AsyncIterable<Numbered>) {
      if (header === undefined) {
        header = record.map(headerName);
        const problem = opts.checkHeader?.(header);
        if (problem) {
          yield { type: 'fatal', issue: { line, field: 'header', reason: problem } };
          return;
        }
        continue;
      }
      if (record.length !== header.length) {
        const reason = `${record.length} fields, but the header has ${header.length}`;
        yield { type: 'unreadable', issue: { line, field: 'csv', reason } };
        continue;
      }
      const fields: Record<string, string> = {};
      header.forEach((name, i) => (fields[name] = record[i]!));
      yield { type: 'record', line, fields };
    }
  } catch (err) {
    const fatal = fatalIssue(err, lines);
    if (!fatal) throw err;
    yield { type: 'fatal', issue: fatal };
    return;
  } finally {
    parser.destroy();
  }
  if (header === undefined) {
    yield {
      type: 'fatal',
      issue: { line: 1, field: 'header', reason: 'no header row (the input is empty)' },
    };
  }
}

const QUOTING =
  'a closing quote is followed by something other than a comma or the end of the line (write a quote inside a quoted field as "")';

function fatalIssue(err: unknown, lines: LineCounter): ImportIssue | undefined {
  if (err instanceof Error && err.name === 'NotUtf8') {
    return { line: (err as NotUtf8).line, field: 'csv', reason: err.message };
  }
  if (!(err instanceof CsvError)) return undefined;
  const at = (reason: string, line = lines.fromParser((err as { lines?: number }).lines)) => ({
    line,
    field: 'csv',
    reason,
  });
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return at('a quoted field is not closed before the end of the input', lines.end + 1);
    case 'CSV_MAX_RECORD_SIZE':
      return at(`record longer than ${MAX_RECORD_BYTES} bytes (a quote left open?)`, lines.end + 1);
    case 'INVALID_OPENING_QUOTE':
      return at('a quote inside an unquoted field (quote the field and double the quote: "12"" monitor")');
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return at(QUOTING);
    default:
      return at(oneLine(err.message));
  }
}

/**
 * Counts bytes for progress and decodes UTF-8 strictly, streaming (a character split across chunks
 * is fine). On bad bytes it throws with the line they are on.
 */
function decodeStrictly(onBytes?: (bytes: number) => void) {
  return async function* (chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let lines = 1;
    for await (const chunk of chunks) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      onBytes?.(buf.length);
      let text: string;
      try {
        text = decoder.decode(buf, { stream: true });
      } catch {
        const lossy = new TextDecoder('utf-8').decode(buf);
        throw new NotUtf8(lines + newlines(lossy.slice(0, Math.max(0, lossy.indexOf('\uFFFD')))));
      }
      lines += newlines(text);
      yield text;
    }
    let rest: string;
    try {
      rest = decoder.decode();
    } catch {
      throw new NotUtf8(lines);
    }
    if (rest) yield rest;
  };
}

function newlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
