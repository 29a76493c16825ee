/** Which reader a file needs: from --format, else from its extension. */
import path from 'node:path';

export const IMPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The path that means standard input. */
export const STDIN_PATH = '-';

const BY_EXTENSION: Readonly<Record<string, ImportFormat>> = {
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.csv': 'csv',
};

/**
 * The format of `file`, or the reason it cannot be told. An explicit format wins over the extension.
 * `.json` is not guessed: it usually holds one array, not a line per record.
 */
export function detectFormat(
  file: string,
  explicit?: string,
): { readonly format: ImportFormat } | { readonly problem: string } {
  if (explicit !== undefined) {
    return (IMPORT_FORMATS as readonly string[]).includes(explicit)
      ? { format: explicit as ImportFormat }
      : { problem: `--format must be ndjson or csv, got ${JSON.stringify(explicit)}` };
  }
  if (file === STDIN_PATH) return { problem: 'cannot tell the format of stdin: pass --format ndjson|csv' };
  const format = BY_EXTENSION[path.extname(file).toLowerCase()];
  return format
    ? { format }
    : { problem: `cannot tell the format of ${file} from its extension: pass --format ndjson|csv` };
}

/** How a file is named in issue lines: the path given, `stdin` for `-`. */
export function sourceLabel(file: string): string {
  return file === STDIN_PATH ? 'stdin' : file;
}
