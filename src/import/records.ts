/** One entry point for both readers. */
import type { ImportFormat } from './format.js';
import { csvRecords } from './csv-records.js';
import { ndjsonRecords } from './ndjson-records.js';
import type { ReadOptions, Source, SourceEvent } from './source.js';

/** The reader for `format`: one pass, streaming, never more than one record held. */
export function readRecords(
  format: ImportFormat,
  source: Source,
  opts: ReadOptions = {},
): AsyncIterable<SourceEvent> {
  return format === 'csv' ? csvRecords(source, opts) : ndjsonRecords(source, opts);
}
