import { refusalLine, summaryLine } from '../../../src/cli/import-output.js';
import type { ImportSummary } from '../../../src/import/types.js';

const base: ImportSummary = {
  kind: 'tickets',
  tenantId: 'acme',
  dryRun: false,
  ok: true,
  written: true,
  rows: 100_000,
  valid: 100_000,
  inserted: 99_000,
  updated: 500,
  unchanged: 300,
  duplicates: 200,
  skipped: 0,
  invalid: [],
  invalidCount: 0,
  bytes: 1,
  ms: 4_100,
};

describe('import output', () => {
  it('sums an import up in one line: rows, time, rate and what became of them', () => {
    expect(summaryLine(base)).toBe(
      'tickets: 100000 rows in 4.1 s (24390 rows/s): 99000 inserted, 500 updated, 300 unchanged, 0 skipped, 200 duplicates',
    );
  });

  it('says a dry run wrote nothing', () => {
    const s = { ...base, dryRun: true, written: false, valid: 99_990, invalidCount: 10, ms: 1_000 };
    expect(summaryLine(s)).toBe(
      'tickets: 100000 rows in 1.0 s (100000 rows/s): dry run, 99990 valid, 10 invalid, nothing written',
    );
  });

  it('has no refusal for an accepted file', () => {
    expect(refusalLine(base, 'tickets.csv')).toBeUndefined();
  });

  it('says why nothing was imported, and what --skip-invalid would do', () => {
    const refused = { ...base, ok: false, written: false, valid: 997, rows: 1000, invalidCount: 3 };
    expect(refusalLine(refused, 'tickets.csv')).toBe(
      'tickets.csv: 3 invalid lines of 1000, nothing imported (--skip-invalid imports the 997 valid rows)',
    );
    expect(refusalLine({ ...refused, dryRun: true }, 'stdin')).toBe(
      'stdin: 3 invalid lines of 1000, an import would write nothing (--skip-invalid imports the 997 valid rows)',
    );
    expect(refusalLine({ ...refused, valid: 1, rows: 2, invalidCount: 1 }, 'a.csv')).toBe(
      'a.csv: 1 invalid line of 2, nothing imported (--skip-invalid imports the 1 valid row)',
    );
    expect(refusalLine({ ...refused, valid: 0, rows: 3, invalidCount: 3 }, 'a.csv')).toBe(
      'a.csv: 3 invalid lines of 3, nothing imported',
    );
    const fatal = { ...refused, fatal: { line: 7, field: 'csv', reason: 'quote' } };
    expect(refusalLine(fatal, 't.csv')).toBe('t.csv: cannot be read past line 7, nothing imported');
  });
});
