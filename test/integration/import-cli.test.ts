import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, createTestEnv, type TestEnv } from '../helpers/services.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('enhancer import (the CLI)', () => {
  let t: TestEnv;
  let dir: string;
  const cli = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
    new Promise<Result>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'import', ...args], {
        env: { PATH: process.env.PATH ?? '', ...t.env, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(opts.input ?? '');
    });
  const file = async (name: string, text: string) => {
    const p = path.join(dir, name);
    await writeFile(p, text);
    return p;
  };
  const assets = (tenant: string) =>
    t.query<{ network: string; hostname: string; owner: string | null }>(
      'select network::text, hostname, owner from ip_assets where tenant_id = $1 order by 1',
      [tenant],
    );

  beforeAll(async () => {
    t = await createTestEnv('import_cli');
    dir = await mkdtemp(path.join(tmpdir(), 'enhancer-import-'));
  });
  afterAll(async () => {
    await t?.teardown();
  });

  it('imports a CSV file: exit 0, one summary line on stdout, nothing on stderr', async () => {
    const f = await file('assets.csv', 'network,hostname,owner\n10.1.0.1,a,ops\n10.1.0.0/16,b,net\n');
    const r = await cli(['assets', '--tenant', 'acme', '--file', f]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(
      /^assets: 2 rows in \d+\.\d s \(\d+ rows\/s\): 2 inserted, 0 updated, 0 unchanged, 0 skipped, 0 duplicates\n$/,
    );
    expect(await assets('acme')).toEqual([
      { network: '10.1.0.0/16', hostname: 'b', owner: 'net' },
      { network: '10.1.0.1/32', hostname: 'a', owner: 'ops' },
    ]);
  });

  it('one bad line: exit 1, file:line: field: reason on stderr, nothing imported', async () => {
    const lines = [
      { network: '10.2.0.1', hostname: 'x' },
      { network: '999.1.1.1', hostname: 'y' },
      { network: '10.2.0.3', hostname: 'z', ownr: 'typo' },
    ];
    const f = await file('bad.ndjson', lines.map((l) => JSON.stringify(l)).join('\n'));
    const r = await cli(['assets', '--tenant', 'bad', '--file', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `${f}:2: network: "999.1.1.1" is not an IPv4 or IPv6 address`,
      `${f}:3: ownr: unknown field (did you mean owner?); assets fields are network, hostname, owner, role, location, notes`,
      `enhancer: ${f}: 2 invalid lines of 3, nothing imported (--skip-invalid imports the 1 valid row)`,
    ]);
    expect(await assets('bad')).toEqual([]);

    const skip = await cli(['assets', '--tenant', 'bad', '--file', f, '--skip-invalid']);
    expect(skip.code).toBe(0);
    expect(skip.stdout).toMatch(/: 1 inserted, 0 updated, 0 unchanged, 2 skipped, 0 duplicates\n$/);
    expect(skip.stderr.split('\n')[0]).toBe(`${f}:2: network: "999.1.1.1" is not an IPv4 or IPv6 address`);
    expect(await assets('bad')).toEqual([{ network: '10.2.0.1/32', hostname: 'x', owner: null }]);
  });

  it('lists the first 20 bad lines and counts the rest', async () => {
    const f = await file('many.ndjson', Array.from({ length: 25 }, () => '[]').join('\n'));
    const r = await cli(['assets', '--tenant', 'many', '--file', f]);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(22);
    expect(lines[19]).toBe(`${f}:20: json: not a JSON object`);
    expect(lines[20]).toBe('… and 5 more');
  });

  it('reads stdin with --file - (it needs --format), and names it stdin', async () => {
    const input = 'ticket_id,subject,description\nS-1,VPN,down\nS-2,,empty subject\n';
    const r = await cli(['tickets', '--tenant', 'stdin', '--file', '-', '--format', 'csv'], { input });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('stdin:3: subject: must not be empty');
    const ok = await cli(['tickets', '--tenant', 'stdin', '--file', '-', '--format', 'csv'], {
      input: input.split('\n').slice(0, 2).join('\n'),
    });
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(await t.query(`select ticket_id from tickets where tenant_id = 'stdin'`)).toEqual([
      { ticket_id: 'S-1' },
    ]);
  });

  it('--dry-run validates without connecting to any database', async () => {
    const f = await file('dry.ndjson', JSON.stringify({ network: '10.3.0.1', hostname: 'dry' }));
    const nowhere = { DATABASE_URL: 'postgres://nobody:sekret@127.0.0.1:1/nowhere' };
    const r = await cli(['assets', '--tenant', 'dry', '--file', f, '--dry-run'], { env: nowhere });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^assets: 1 rows in .*: dry run, 1 valid, 0 invalid, nothing written\n$/);
    expect(await assets('dry')).toEqual([]);
  });

  it('a database it cannot reach: exit 1, one line, and never the password', async () => {
    const f = await file('down.ndjson', JSON.stringify({ network: '10.4.0.1', hostname: 'down' }));
    const r = await cli(['assets', '--tenant', 'down', '--file', f], {
      env: { DATABASE_URL: 'postgres://nobody:sekret@127.0.0.1:1/nowhere' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^enhancer: assets import failed, nothing imported: .*ECONNREFUSED/),
    ]);
    expect(r.stderr + r.stdout).not.toContain('sekret');
  });

  it.each([
    [
      ['widgets', '--tenant', 'x', '--file', 'f.csv'],
      /^enhancer: <kind> must be one of tickets, kb, assets, got "widgets" \(see "enhancer import --help"\)$/,
    ],
    [['tickets', '--file', 'f.csv'], /^enhancer: --tenant is required \(see "enhancer import --help"\)$/],
    [['tickets', '--tenant', 'x'], /^enhancer: --file is required \(see "enhancer import --help"\)$/],
    [
      ['tickets', '--tenant', 'x', '--file', 'f.csv', '--format', 'xml'],
      /^enhancer: --format must be one of ndjson, csv, got "xml" \(see "enhancer import --help"\)$/,
    ],
    [
      ['tickets', '--tenant', 'x', '--file', 'tickets.json'],
      /^enhancer: cannot tell the format of tickets\.json/,
    ],
    [
      ['tickets', '--tenant', 'x', '--file', '/nonexistent/t.csv'],
      /^enhancer: cannot read \/nonexistent\/t\.csv: ENOENT$/,
    ],
    [
      ['tickets', '--tenant', 'x', '--file', '/tmp', '--format', 'csv'],
      /^enhancer: cannot read \/tmp: it is a directory$/,
    ],
    [['tickets', '--tenant', '', '--file', 'f.csv'], /^enhancer: --tenant must not be empty$/],
    [
      ['tickets', '--tenant', 'x', '--file', 'f.csv', '--colour'],
      /^enhancer: unknown option '--colour' \(see "enhancer import --help"\)$/,
    ],
  ])('usage error %j: exit 2 with one line', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(message)]);
  });
});
