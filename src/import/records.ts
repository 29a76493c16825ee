/** One entry point for both readers. */
import type { ImportFormat } from './format';
import { csvRecords } from './csv-records';
import { ndjsonRecords } from './ndjson-records';
import type { ReadOptions, Source, SourceEvent } from './source';

/** The reader for `format`: one pass, streaming, never more than one record held. */
export function readRecords(
  format: ImportFormat,
  source: Source,
  opts: ReadOptions = {},
): AsyncIterable<SourceEvent> {
  return format === 'csv' ? csvRecords(source, opts) : ndjsonRecords(source, opts);
}
