#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './cli/program.js';
import { hintFor, usageLine } from './cli/errors.js';
import { redactSecrets } from './lib/redact.js';

const write = (stream: NodeJS.WritableStream) => (line: string) => void stream.write(`${line}\n`);

/** Runs the command line; resolves to the exit code (0 done, 1 failed, 2 usage or configuration error). */
async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram(
    {
      out: write(process.stdout),
      err: write(process.stderr),
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    },
    (c) => (code = c),
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // Help asked for (exit 0), or shown on stderr because no command was given (exit 2).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return err.exitCode ? 2 : 0;
    process.stderr.write(`enhancer: ${redactSecrets(usageLine(err, argv, program))}\n`);
    return 2;
  }
  return code;
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

// A reader that went away (`enhancer dlq list | head`) ends the command quietly, as SIGPIPE ends a C tool.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2)).then(exitSoon, (err: unknown) => {
  const e = err instanceof Error ? err : new Error(String(err));
  const usage = e.name === 'ConfigError' || e.name === 'UsageError';
  // A driver's message may quote a connection string: never print its password.
  const command = process.argv.slice(2).find((word) => !word.startsWith('-'));
  process.stderr.write(`enhancer: ${redactSecrets(e.message.split('\n')[0] ?? '')}${hintFor(e, command)}\n`);
  exitSoon(usage ? 2 : 1);
});
