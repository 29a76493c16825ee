/**
 * The command line: each command, its options and its help (commander). Parsing and help never load the
 * configuration or open a connection: `enhancer worker --help` prints help and starts nothing. Each
 * command loads only its own modules, so a worker pod starts without the migrator or the CLI tools.
 */
import type { Readable } from 'node:stream';
import { Argument, Command, Option } from 'commander';
import { loadConfig } from '../config/load.js';
import { IMPORT_KINDS } from '../import/kinds.js';
import type { EnqueueFlags, ImportFlags } from './flags.js';

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly stdin: Readable;
  /** Where help goes when asked for, and where a progress bar may draw. */
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const CONFIG_NOTE =
  '\nSettings come from environment variables (docs/configuration.md); `enhancer <command> --help` for each command.';

/** The `enhancer` program; a command's exit code goes to `exit` (help and usage errors throw CommanderError). */
export function buildProgram(io: CliIo, exit: (code: number) => void): Command {
  const program = new Command('enhancer')
    .description('Turns helpdesk tickets into enhanced tickets: a RabbitMQ worker that writes to Postgres.')
    .addHelpText('after', CONFIG_NOTE)
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      // Usage errors are printed by the caller as one line (see usageLine).
      outputError: () => undefined,
    })
    .exitOverride();

  program
    .command('migrate')
    .description('create the database if it is missing, then apply the migrations (run once per release)')
    .action(async () => {
      const config = loadConfig();
      const { migrate } = await import('../adapters/db/orm.js');
      const applied = await migrate(config.databaseUrl, config.db);
      io.out(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
    });

  program
    .command('worker')
    .description('consume and process enhancement jobs until SIGTERM (needs "enhancer migrate" first)')
    .action(async () => exit(await (await import('../worker/serve.js')).serveWorker(loadConfig())));

  program
    .command('ingest')
    .description(
      'serve the signed helpdesk webhook (POST /webhook/servicedesk) on INGEST_PORT; needs TENANTS_FILE',
    )
    .action(async () => exit(await (await import('../ingest/serve.js')).serveIngest(loadConfig())));

  program
    .command('enqueue')
    .description('publish jobs to the jobs queue, each with a publisher confirm; prints each job_id')
    .option(
      '--file <path>',
      'one job object a line (NDJSON); job_id and timestamp are filled in when missing',
    )
    .option('--tenant-id <id>', 'the tenant (without --file)')
    .option('--ticket-id <id>', 'the helpdesk ticket (without --file)')
    .option('--description <text>', 'the ticket text', '')
    .addOption(
      new Option('--priority <level>', 'the ticket priority')
        .choices(['low', 'medium', 'high', 'critical'])
        .default('medium'),
    )
    .option('--job-id <uuid>', 'the job id (default: a new one)')
    .option('--trace-id <id>', 'carried into the logs and the trace')
    .option('--simulate <json>', 'how the simulate pipeline treats the job, e.g. \'{"fail_times":1}\'')
    .addHelpText(
      'after',
      '\nExamples:\n  enhancer enqueue --tenant-id acme --ticket-id SD-1 --description "VPN drops"\n  enhancer enqueue --file jobs.ndjson',
    )
    .action(async (opts: EnqueueFlags) => {
      const config = loadConfig();
      await (await import('./enqueue.js')).enqueue(opts, config, io.out);
    });

  const dlq = program
    .command('dlq')
    .description('look at the dead-letter queue, and send its jobs back once the cause is fixed');
  dlq
    .command('list')
    .description('show dead letters without removing them')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'one JSON object a line', false)
    .action(async (opts: { limit: string; json: boolean }) => {
      const config = loadConfig();
      await (await import('./dlq.js')).dlq('list', { ...opts, includeInvalid: false }, config, io.out);
    });
  dlq
    .command('replay')
    .description('send dead letters back to the jobs queue, oldest first, at attempt 1')
    .option('--limit <n>', 'at most this many', '100')
    .option(
      '--include-invalid',
      'also replay those dead-lettered as invalid (after fixing the producer)',
      false,
    )
    .action(async (opts: { limit: string; includeInvalid: boolean }) => {
      const config = loadConfig();
      await (await import('./dlq.js')).dlq('replay', { ...opts, json: false }, config, io.out);
    });

  program
    .command('import')
    .description(
      "load a tenant's past tickets, knowledge-base articles or IP assets (all or nothing; docs/import.md)",
    )
    .addArgument(new Argument('<kind>', 'what the file holds').choices(IMPORT_KINDS))
    .requiredOption('--tenant <id>', 'the tenant the rows belong to')
    .requiredOption('--file <path>', 'the file, or - for stdin (then --format is needed)')
    .addOption(new Option('--format <format>', 'default: from the file name').choices(['ndjson', 'csv']))
    .option('--skip-invalid', 'import the valid rows and list the invalid ones', false)
    .option('--dry-run', 'validate only; no database needed', false)
    .action(async (kind: string, opts: ImportFlags) => {
      const config = loadConfig();
      exit(await (await import('./import.js')).importCommand(kind, opts, config, io));
    });

  return program;
}
