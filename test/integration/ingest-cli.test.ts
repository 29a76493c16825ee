import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, createTestEnv, queueDepth, waitFor, type TestEnv } from '../helpers/services.js';
import { sign } from '../../src/ingest/signature.js';

const SECRET = 'cli-webhook-secret-0123456789';

describe('enhancer ingest as a process', () => {
  let t: TestEnv;
  let dir: string;
  beforeAll(async () => {
    t = await createTestEnv('ingest_cli');
    dir = await mkdtemp(path.join(tmpdir(), 'enhancer-ingest-cli-'));
  });
  afterAll(async () => {
    await t?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves a signed post, then exits 0 on SIGTERM', async () => {
    const tenantsFile = path.join(dir, 'tenants.json');
    await writeFile(tenantsFile, JSON.stringify({ tenants: { acme: { secret: SECRET } } }));
    const proc = spawn(process.execPath, [CLI, 'ingest'], {
      env: { PATH: process.env.PATH ?? '', ...t.env, TENANTS_FILE: tenantsFile, INGEST_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    proc.stdout.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    proc.stderr.on('data', (c: Buffer) => lines.push(`stderr: ${c.toString()}`));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    try {
      const started = await waitFor('ingest started', () =>
        lines
          .map((l) => (l.startsWith('{') ? (JSON.parse(l) as Record<string, unknown>) : {}))
          .find((l) => l.msg === 'ingest started'),
      );
      const base = `http://127.0.0.1:${String(started.http_port)}`;
      await waitFor('ready', async () => (await fetch(`${base}/readyz`)).ok);
      const body = JSON.stringify({ ticket_id: 'CLI-1', description: 'secret text', priority: 'high' });
      const res = await fetch(`${base}/webhook/servicedesk`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-tenant-id': 'acme',
          'x-signature': sign(SECRET, Buffer.from(body)),
        },
        body,
      });
      expect(res.status).toBe(202);
      expect(await queueDepth(t.names.jobs)).toBe(1);
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(lines.some((l) => l.includes('"ingest stopped"'))).toBe(true);
      // The description is never logged.
      expect(lines.join('\n')).not.toContain('secret text');
    } finally {
      proc.kill('SIGKILL');
    }
  });

  it('exits 2 with one line when TENANTS_FILE is missing', async () => {
    const proc = spawn(process.execPath, [CLI, 'ingest'], {
      env: { PATH: process.env.PATH ?? '', ...t.env, INGEST_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(stderr).toBe('enhancer: TENANTS_FILE is required by `enhancer ingest`\n');
  });
});
