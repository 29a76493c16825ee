/**
 * The integration project's globalSetup: its tests run `node dist/cli.js`, so dist/ must be the
 * compiled src/ of this checkout, not an older one. When any file under src/ or a tsconfig is newer
 * than dist/cli.js (or dist/ is missing), it builds, once for the whole run, and says so; `npm test`
 * therefore need not build first. With ENHANCER_TEST_NO_BUILD=1 it refuses a stale dist/ instead.
 * (A file deleted from src/ leaves its old output behind; `rm -rf dist` when that matters.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json'];

function newest(p: string): { file: string; ms: number } {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return { file: p, ms: stat.mtimeMs };
  return fs
    .readdirSync(p)
    .map((name) => newest(path.join(p, name)))
    .reduce((a, b) => (b.ms > a.ms ? b : a), { file: p, ms: 0 });
}

/** Why dist/ is stale, or undefined when it is up to date. */
export function staleReason(): string | undefined {
  if (!fs.existsSync(CLI)) return 'dist/cli.js is missing';
  const built = fs.statSync(CLI).mtimeMs;
  const input = INPUTS.map((p) => newest(path.join(ROOT, p))).reduce((a, b) => (b.ms > a.ms ? b : a));
  return input.ms > built ? `${path.relative(ROOT, input.file)} is newer than dist/cli.js` : undefined;
}

export default function freshDist(): void {
  const reason = staleReason();
  if (!reason) return;
  if (process.env.ENHANCER_TEST_NO_BUILD === '1')
    throw new Error(`dist/ is stale (${reason}): run \`npm run build\` before the integration tests`);
  process.stderr.write(`\njest: ${reason}; building dist/ (npm run build) …\n`);
  const started = Date.now();
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (run.status !== 0) throw new Error('the build failed (see above): the integration tests need dist/');
  process.stderr.write(`jest: dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
