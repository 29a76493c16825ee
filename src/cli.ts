#!/usr/bin/env node
import { loadConfig } from './config/load';
import { UsageError } from './cli/usage-error';
import { redactSecrets } from './lib/redact';

// Each command loads only its own modules: a worker pod starts without the migrator or the CLI tools.
const usage = `usage:
enhancer migrate        create the database if missing and apply migrations
enhancer worker         consume and process enhancement jobs
enhancer ingest         serve the signed helpdesk webhook (POST /webhook/servicedesk) on INGEST_PORT
enhancer enqueue --tenant-id T --ticket-id ID [--description TEXT] [--priority low|medium|high|critical]
                 [--job-id UUID] [--trace-id ID] [--simulate JSON]
enhancer enqueue --file jobs.ndjson     (one job object a line; job_id and timestamp are filled in when missing)
enhancer dlq list [--limit N] [--json]      show dead letters without removing them
enhancer dlq replay [--limit N] [--include-invalid]   send dead letters back to the jobs queue
enhancer import tickets|kb|assets --tenant T --file F|- [--format ndjson|csv] [--skip-invalid] [--dry-run]
                 load a tenant's past tickets, kb articles or IP assets (all or nothing; see docs/import.md)
Configuration comes from the environment; see README.md.`;

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    out(usage);
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'migrate': {
      const { migrate } = await import('./adapters/db/orm.js');
      const applied = await migrate(config.databaseUrl, config.db);
      out(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
      return 0;
    }
    case 'worker':
      return (await import('./worker/serve.js')).serveWorker(config);
    case 'ingest':
      return (await import('./ingest/serve.js')).serveIngest(config);
    case 'enqueue':
      await (await import('./cli/enqueue.js')).enqueue(rest, config, out);
      return 0;
    case 'dlq':
      await (await import('./cli/dlq.js')).dlq(rest, config, out);
      return 0;
    case 'import':
      return (await import('./cli/import.js')).importCommand(rest, config, {
        out,
        err: (line) => process.stderr.write(`${line}\n`),
        stdin: process.stdin,
        stderr: process.stderr,
      });
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; run "enhancer help"`);
  }
}

/**
 * Once a command is done, the process should end by itself. If something still holds the event loop
 * (a socket to a peer that never answered, a timer a library forgot), it ends anyway after this long.
 */
const EXIT_LINGER_MS = 2_000;

function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_LINGER_MS).unref();
}

main(process.argv.slice(2)).then(exitSoon, (err: unknown) => {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  const usage =
    e.name === 'ConfigError' ||
    e.name === 'UsageError' ||
    (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
  // A driver's message may quote a connection string: never print its password.
  process.stderr.write(`enhancer: ${redactSecrets(e.message.split('\n')[0] ?? '')}\n`);
  exitSoon(usage ? 2 : 1);
});
