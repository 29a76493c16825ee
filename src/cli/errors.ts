/** How the command line words a usage error, and the next step it suggests after a failure. */
import type { Command, CommanderError } from 'commander';

/** The command words of `argv` that name commands (`dlq list`), for a pointer at the right --help. */
function commandPath(argv: readonly string[], program: Command): string[] {
  const path: string[] = [];
  let at: Command | undefined = program;
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    const next: Command | undefined = at?.commands.find((c) => c.name() === word);
    if (!next) break;
    path.push(word);
    at = next;
  }
  return path;
}

/** The flag alone: `--tenant <id>` → `--tenant`. */
const flagOf = (flags: string) => /--[\w-]+/.exec(flags)?.[0] ?? flags;

/**
 * One line for commander's usage error, in the words the rest of the CLI uses ("--tenant is required",
 * "--priority must be one of …, got "x"") and ending with where the help is.
 */
export function usageLine(err: CommanderError, argv: readonly string[], program: Command): string {
  const message = err.message
    .replace(/^error: /, '')
    .replace(/\s*\n\(Did you mean (.*)\?\)/, '; did you mean $1?')
    .replace(/\s*\n\s*/g, ' ');
  let m: RegExpExecArray | null;
  let line = message;
  if ((m = /^required option '([^']+)' not specified/.exec(message))) {
    line = `${flagOf(m[1]!)} is required`;
  } else if ((m = /^option '([^']+)' argument missing/.exec(message))) {
    line = `${flagOf(m[1]!)} needs a value`;
  } else if (
    (m = /^option '([^']+)' argument '(.*)' is invalid\. Allowed choices are (.*)\.$/.exec(message))
  ) {
    line = `${flagOf(m[1]!)} must be one of ${m[3]}, got ${JSON.stringify(m[2])}`;
  } else if (
    (m =
      /^command-argument value '(.*)' is invalid for argument '([^']+)'\. Allowed choices are (.*)\.$/.exec(
        message,
      ))
  ) {
    line = `<${m[2]}> must be one of ${m[3]}, got ${JSON.stringify(m[1])}`;
  } else if ((m = /^missing required argument '([^']+)'/.exec(message))) {
    line = `<${m[1]}> is required`;
  }
  const path = commandPath(argv, program);
  return `${line} (see "enhancer ${path.length ? `${path.join(' ')} ` : ''}--help")`;
}

/** SQLSTATEs that mean the schema is not there yet: no such database, no such table. */
const NOT_MIGRATED = new Set(['3D000', '42P01']);
/** Socket errors that mean nothing answers at the configured address. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT']);
/** Which settings name the servers a command connects to. */
const SERVERS: Record<string, string> = {
  migrate: 'DATABASE_URL',
  import: 'DATABASE_URL',
  enqueue: 'AMQP_URL',
  ingest: 'AMQP_URL',
  dlq: 'AMQP_URL and DATABASE_URL',
  worker: 'AMQP_URL and DATABASE_URL',
};

/**
 * A hint to append to a failure's line when there is an obvious next step, else ''. `command` is the
 * command that failed (`worker`, `dlq`…), which says what it was connecting to.
 */
export function hintFor(err: Error, command?: string): string {
  const codes: string[] = [];
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  const migrate = '; run "enhancer migrate" first';
  if (codes.some((c) => NOT_MIGRATED.has(c))) return migrate;
  if (/database "[^"]*" does not exist|relation "[^"]*" does not exist/.test(err.message)) return migrate;
  const servers = command && SERVERS[command];
  if (servers && (codes.some((c) => UNREACHABLE.has(c)) || /\bECONNREFUSED\b/.test(err.message))) {
    return `; is the server running, and ${servers.includes(' and ') ? 'are' : 'is'} ${servers} right?`;
  }
  return '';
}
