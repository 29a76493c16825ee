/**
 * `npm run bench:import`: how fast `enhancer import` loads generated files into a database of its own
 * (created next to DATABASE_URL's and dropped at the end, even on failure), and how much memory a
 * large import takes. Progress on stderr; stdout gets the table, then one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/load.js';
import { migrate } from '../../src/adapters/db/orm.js';
import { importRows, openImportOrm } from '../../src/adapters/db/import/import-rows.js';
import type { ImportPhase } from '../../src/adapters/db/import/pg-import-target.js';
import type { ImportFormat } from '../../src/import/format.js';
import type { ImportKind } from '../../src/import/kinds.js';
import { databaseUrlFor, dropDatabase } from '../bench/databases.js';
import { BUSY_WARNING_PCT, machineBusyPct } from '../bench/machine-load.js';
import { ticketsInsertFloor } from './floor.js';
import { measureCliMemory, type MemoryRun } from './memory.js';
import { sampleSource } from './sample-data.js';

const log = (line: string) => process.stderr.write(`bench:import: ${line}\n`);

const usage = `npm run bench:import -- [options]
  --tickets N       generated tickets (subject ~60, description ~400, resolution ~200 characters; default 100000)
  --assets N        generated IP assets (default 10000)
  --kb N            generated kb articles (body ~1500 characters; default 0)
  --memory-rows N   tickets piped into \`enhancer import\` as a child process, peak RSS read (default 500000; 0 skips)
  --keep            keep the database afterwards`;

interface Run {
  readonly name: string;
  readonly rows: number;
  readonly ms: number;
  readonly rowsPerSecond: number;
  readonly counts: string;
  readonly phases: Partial<Record<ImportPhase, number>>;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tickets: { type: 'string', default: '100000' },
      assets: { type: 'string', default: '10000' },
      kb: { type: 'string', default: '0' },
      'memory-rows': { type: 'string', default: '500000' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const count = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${v}`);
    return n;
  };
  const [tickets, assets, kb, memoryRows] = [
    count('tickets', values.tickets),
    count('assets', values.assets),
    count('kb', values.kb),
    count('memory-rows', values['memory-rows']),
  ];
  const config = loadConfig();
  const name = `enhancer_import_bench_${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const url = databaseUrlFor(config.databaseUrl, name);
  const busy = await machineBusyPct(2000);
  if (busy > BUSY_WARNING_PCT) log(`WARNING: the machine was ${busy}% busy before the bench started`);
  log(`database ${name}: migrating`);
  await migrate(url);
  const runs: Run[] = [];
  let memory: MemoryRun[] = [];
  try {
    const orm = await openImportOrm(url, config.db);
    try {
      const one = async (label: string, kind: ImportKind, rows: number, seed = 1, dryRun = false) => {
        if (rows === 0) return;
        log(`${label}: ${rows} rows`);
        const phases: Partial<Record<ImportPhase, number>> = {};
        const format: ImportFormat = 'ndjson';
        const s = await importRows(
          orm,
          { kind, tenantId: 'bench', format, source: sampleSource(kind, format, rows, seed), label, dryRun },
          { onPhase: (p, ms) => (phases[p] = Math.round(ms)) },
        );
        const counts = dryRun
          ? `${s.valid} valid`
          : `${s.inserted} inserted, ${s.updated} updated, ${s.unchanged} unchanged`;
        runs.push({
          name: label,
          rows: s.rows,
          ms: s.ms,
          rowsPerSecond: Math.round((s.rows * 1000) / s.ms),
          counts,
          phases,
        });
      };
      await one('tickets, validation only (dry run)', 'tickets', tickets, 1, true);
      await one('tickets, new', 'tickets', tickets);
      if (tickets > 0) {
        log('floor: the same tickets by a plain INSERT … SELECT');
        const f = await ticketsInsertFloor(url);
        const rowsPerSecond = Math.round((f.rows * 1000) / f.ms);
        runs.push({
          name: 'floor: INSERT … SELECT, no import',
          rows: f.rows,
          ms: f.ms,
          rowsPerSecond,
          counts: 'Postgres alone',
          phases: {},
        });
      }
      await one('tickets, same again (unchanged)', 'tickets', tickets);
      await one('tickets, all changed (updated)', 'tickets', tickets, 2);
      await one('assets, new', 'assets', assets);
      await one('assets, same again (unchanged)', 'assets', assets);
      await one('kb, new', 'kb', kb);
    } finally {
      await orm.close(true);
    }
    if (memoryRows > 0) {
      const sizes = [...new Set([Math.max(1, Math.round(memoryRows / 10)), memoryRows])];
      memory = [];
      for (const rows of sizes) {
        log(`memory: piping ${rows} tickets into \`enhancer import\``);
        memory.push(await measureCliMemory(url, rows, `memory-${rows}`));
      }
    }
  } finally {
    if (values.keep) log(`kept database ${name}`);
    else await dropDatabase(config.databaseUrl, name);
  }
  process.stdout.write(`\n${render(runs, memory, busy)}\n\n`);
  process.stdout.write(
    `${JSON.stringify({ bench: 'import', at: new Date().toISOString(), busy, runs, memory })}\n`,
  );
  return 0;
}

function render(runs: readonly Run[], memory: readonly MemoryRun[], busy: number): string {
  const lines = [
    `machine ${busy}% busy before the start (2 cores shared with RabbitMQ and Postgres)`,
    '',
    'scenario                                 rows      s   rows/s  outcome / phases (ms)',
  ];
  for (const r of runs) {
    const phases = Object.entries(r.phases)
      .map(([p, ms]) => `${p} ${ms}`)
      .join(', ');
    lines.push(
      `${r.name.padEnd(38)} ${String(r.rows).padStart(7)} ${(r.ms / 1000).toFixed(1).padStart(6)} ${String(r.rowsPerSecond).padStart(8)}  ${r.counts}`,
    );
    if (phases) lines.push(`${''.padEnd(63)}${phases}`);
  }
  for (const m of memory) {
    lines.push(
      `peak RSS of \`enhancer import\` for ${m.rows} tickets via stdin: ${m.peakRssMb} MB (${m.seconds.toFixed(1)} s, exit ${m.exitCode})`,
    );
  }
  return lines.join('\n');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log(`FAILED: ${(err as Error).message}`);
    process.exitCode = 1;
  },
);
