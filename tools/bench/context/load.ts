import { Readable } from 'node:stream';
import type { Knex } from '@mikro-orm/postgresql';
import { importRows } from '../../../src/adapters/db/import/import-rows.js';
import type { ImportKind } from '../../../src/import/kinds.js';
import { sampleArticles, sampleAssets, sampleTickets, type SampleSpec } from '../../sample/generate.js';

export interface ImportFigure {
  readonly kind: ImportKind;
  readonly rows: number;
  readonly ms: number;
}

const GENERATORS: Readonly<Record<ImportKind, (s: SampleSpec) => Iterable<unknown>>> = {
  tickets: sampleTickets,
  kb: sampleArticles,
  assets: sampleAssets,
};

/**
 * Loads each tenant's generated history through the import (`importRows`: validation, COPY, one
 * upsert, the lexeme refresh), timing each kind. The lines are generated as they are read: the
 * import's own memory and speed are measured, not an array's.
 */
export async function loadSample(
  knex: Knex,
  specs: readonly SampleSpec[],
  log: (line: string) => void,
): Promise<ImportFigure[]> {
  const out: ImportFigure[] = [];
  for (const spec of specs) {
    for (const kind of ['tickets', 'kb', 'assets'] as const) {
      const started = Date.now();
      const lines = (function* () {
        for (const row of GENERATORS[kind](spec)) yield `${JSON.stringify(row)}\n`;
      })();
      const summary = await importRows(knex, {
        kind,
        tenantId: spec.tenant,
        format: 'ndjson',
        source: Readable.from(lines),
        label: `${spec.tenant}-${kind}`,
        skipInvalid: false,
        dryRun: false,
      });
      if (!summary.written)
        throw new Error(`${spec.tenant} ${kind}: not imported (${summary.invalidCount} invalid lines)`);
      const figure = { kind, rows: summary.valid, ms: Date.now() - started };
      log(`context: imported ${figure.rows} ${kind} for ${spec.tenant} in ${figure.ms} ms`);
      out.push(figure);
    }
  }
  return out;
}
