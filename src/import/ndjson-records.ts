/**
 * NDJSON: one JSON object a line. Lines are cut on `\n` in the raw bytes (a `\r` before it is dropped)
 * so a multi-byte character split across chunks is never decoded half; each line is then decoded
 * strictly, so bytes that are not UTF-8 are reported rather than turned into U+FFFD. Blank lines are
 * skipped. A line longer than the limit is reported and skipped without being held in memory.
 */
import { TextDecoder } from 'node:util';
import { MAX_RECORD_BYTES, oneLine, type ReadOptions, type Source, type SourceEvent } from './source.js';

const NEWLINE = 0x0a;
const CR = 0x0d;

export async function* ndjsonRecords(source: Source, opts: ReadOptions = {}): AsyncGenerator<SourceEvent> {
  const max = opts.maxRecordBytes ?? MAX_RECORD_BYTES;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let parts: Buffer[] = [];
  let held = 0;
  let tooLong = false;
  let line = 0;

  // Keeps `piece` for the current line unless the line grew past the limit (then forgets it all).
  const hold = (piece: Buffer) => {
    if (tooLong || piece.length === 0) return;
    held += piece.length;
    if (held > max) {
      tooLong = true;
      parts = [];
    } else {
      parts.push(piece);
    }
  };
  const endLine = (): SourceEvent | undefined => {
    line++;
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const long = tooLong;
    [parts, held, tooLong] = [[], 0, false];
    return long ? unreadable(line, `line longer than ${max} bytes`) : parseLine(decoder, line, bytes);
  };

  for await (const chunk of source as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    opts.onBytes?.(buf.length);
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
      hold(buf.subarray(start, nl));
      const event = endLine();
      if (event) yield event;
      start = nl + 1;
    }
    hold(buf.subarray(start));
  }
  if (parts.length > 0 || tooLong) {
    const event = endLine();
    if (event) yield event;
  }
}

function parseLine(decoder: TextDecoder, line: number, bytes: Buffer): SourceEvent | undefined {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  let text: string;
  try {
    // The decoder drops a byte-order mark at the start of each call: harmless after line 1.
    text = decoder.decode(bytes.subarray(0, end));
  } catch {
    return unreadable(line, 'not valid UTF-8');
  }
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return unreadable(line, `not valid JSON: ${oneLine((err as Error).message)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return unreadable(line, 'not a JSON object');
  }
  return { type: 'record', line, fields: value as Record<string, unknown> };
}

function unreadable(line: number, reason: string): SourceEvent {
  return { type: 'unreadable', issue: { line, field: 'json', reason } };
}
