import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
import { hintFor, usageLine } from '../../../src/cli/errors.js';
import { buildProgram } from '../../../src/cli/program.js';

/** Parses `argv` with the real program; nothing is run unless a command's action is reached. */
async function parse(argv: string[]) {
  const out: string[] = [];
  const written = { stdout: '', stderr: '' };
  const exits: number[] = [];
  const program = buildProgram(
    {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      stdin: new PassThrough(),
      stdout: { write: (s: string) => ((written.stdout += s), true) } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => ((written.stderr += s), true) } as unknown as NodeJS.WritableStream,
    },
    (c) => exits.push(c),
  );
  let error: CommanderError | undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    error = err;
  }
  return { ...written, out, exits, error, line: error && usageLine(error, argv, program) };
}

describe('the command line', () => {
  it.each([['worker'], ['ingest'], ['migrate'], ['enqueue'], ['import'], ['dlq', 'list'], ['dlq', 'replay']])(
    '%s --help prints its own help on stdout, exit 0, and runs nothing',
    async (...words) => {
      const r = await parse([...words, '--help']);
      expect(r.error?.code).toBe('commander.helpDisplayed');
      expect(r.error?.exitCode).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: enhancer ${words.join(' ')} `));
      expect(r.stderr).toBe('');
      expect(r.exits).toEqual([]);
      expect(r.out).toEqual([]);
    },
  );

  it('lists every command in the top-level help', async () => {
    const r = await parse(['--help']);
    for (const c of ['migrate', 'worker', 'ingest', 'enqueue', 'dlq', 'import'])
      expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('with no command, prints the help on stderr as an error', async () => {
    const r = await parse([]);
    expect(r.error?.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/^Usage: enhancer /);
  });

  it.each([
    [['frobnicate'], `unknown command 'frobnicate' (see "enhancer --help")`],
    [['enqueue', '--colour', 'blue'], `unknown option '--colour' (see "enhancer enqueue --help")`],
    [
      ['dlq', 'list', '--jsn'],
      `unknown option '--jsn'; did you mean --json? (see "enhancer dlq list --help")`,
    ],
    [
      ['enqueue', '--tenant-id', 'a', '--ticket-id', 'b', '--priority', 'urgent'],
      '--priority must be one of low, medium, high, critical, got "urgent" (see "enhancer enqueue --help")',
    ],
    [['import', 'tickets', '--file', 'f.csv'], '--tenant is required (see "enhancer import --help")'],
    [['import', 'tickets', '--tenant', 'x'], '--file is required (see "enhancer import --help")'],
    [
      ['import', 'widgets', '--tenant', 'x', '--file', 'f.csv'],
      '<kind> must be one of tickets, kb, assets, got "widgets" (see "enhancer import --help")',
    ],
    [
      ['import', 'tickets', '--tenant', 'x', '--file', 'f', '--format', 'xml'],
      '--format must be one of ndjson, csv, got "xml" (see "enhancer import --help")',
    ],
    [['enqueue', '--file'], '--file needs a value (see "enhancer enqueue --help")'],
  ])('usage error %j: one line in plain words', async (argv, line) => {
    const r = await parse(argv);
    expect(r.error).toBeDefined();
    expect(r.line).toBe(line);
    expect(r.stderr).toBe('');
    expect(r.exits).toEqual([]);
  });
});

describe('hintFor', () => {
  it('points at migrate when the database or its tables are missing', () => {
    const cause = Object.assign(new Error('database "enhancer" does not exist'), { code: '3D000' });
    const wrapped = new Error('postgres unavailable: database "enhancer" does not exist', { cause });
    expect(hintFor(wrapped)).toBe('; run "enhancer migrate" first');
    const table = Object.assign(new Error('relation "enhancement_history" does not exist'), {
      code: '42P01',
    });
    expect(hintFor(table)).toBe('; run "enhancer migrate" first');
  });

  it('asks whether the server runs, naming the settings the command connects with', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5672'), { code: 'ECONNREFUSED' });
    expect(hintFor(refused, 'enqueue')).toBe('; is the server running, and is AMQP_URL right?');
    expect(hintFor(refused, 'worker')).toBe(
      '; is the server running, and are AMQP_URL and DATABASE_URL right?',
    );
    const wrapped = new Error('postgres unavailable: connect ECONNREFUSED 127.0.0.1:5432', {
      cause: refused,
    });
    expect(hintFor(wrapped, 'migrate')).toBe('; is the server running, and is DATABASE_URL right?');
  });

  it('says nothing when there is no obvious next step', () => {
    expect(hintFor(new Error('connect ECONNREFUSED 127.0.0.1:5672'))).toBe('');
    expect(hintFor(new Error('PRECONDITION_FAILED - inequivalent arg'), 'worker')).toBe('');
  });
});
