/**
 * promtool, Prometheus' own rule checker and rule unit-test runner, to evaluate the chart's alerts.
 *
 * It is taken from Debian's `prometheus` package without installing it (no service is started): `apt-get
 * download` fetches the .deb and `dpkg-deb -x` unpacks it, and the binary is cached under
 * node_modules/.cache, like helm in ./helm.ts. A `promtool` already on the PATH is used as it is. On a
 * machine whose apt lists are empty the first fetch runs `apt-get update` (as root), then tries again.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const ROOT = path.resolve(__dirname, '../..');
const CACHE = path.join(ROOT, 'node_modules/.cache/enhancer-promtool');
const CACHED = path.join(CACHE, 'promtool');

async function onPath(): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', 'command -v promtool']);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function download(dir: string): Promise<void> {
  try {
    await run('apt-get', ['download', '-q', 'prometheus'], { cwd: dir });
  } catch (err) {
    if (process.getuid?.() !== 0) throw err;
    await run('apt-get', ['update', '-q']);
    await run('apt-get', ['download', '-q', 'prometheus'], { cwd: dir });
  }
}

/** The path of a working promtool, fetching it on first use; safe when several test files call it at once. */
export async function promtoolBinary(): Promise<string> {
  const found = await onPath();
  if (found) return found;
  if (existsSync(CACHED)) return CACHED;
  mkdirSync(CACHE, { recursive: true });
  const tmp = mkdtempSync(path.join(CACHE, 'fetch-'));
  try {
    await download(tmp);
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download prometheus left no .deb');
    await run('dpkg-deb', ['-x', path.join(tmp, deb), path.join(tmp, 'root')]);
    const staged = path.join(tmp, 'promtool');
    copyFileSync(path.join(tmp, 'root/usr/bin/promtool'), staged);
    chmodSync(staged, 0o755);
    renameSync(staged, CACHED);
  } catch (err) {
    throw new Error(
      `promtool is needed to evaluate the alerts: put it on the PATH, or let this helper fetch Debian's prometheus package (apt-get download prometheus): ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return CACHED;
}

export interface PromtoolResult {
  readonly code: number;
  readonly output: string;
}

/** Runs promtool; never throws on a non-zero exit (tests assert on it). */
export async function promtool(args: readonly string[], cwd: string): Promise<PromtoolResult> {
  const bin = await promtoolBinary();
  try {
    const { stdout, stderr } = await run(bin, [...args], { cwd });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
