/**
 * test/e2e/image.sh needs root, docker and a few minutes (npm run test:image, docs/deployment.md), so CI
 * does not run it; these checks keep it honest in between: valid bash, its usage, containers hardened
 * as the chart's pods are, and one Node.js major across the image, `engines`, .nvmrc and CI.
 * Shellcheck is not on npm with a bundled binary: run `shellcheck test/e2e/image.sh` by hand.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'test/e2e/image.sh');
const text = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

async function imageSh(args: string[]) {
  try {
    const { stdout, stderr } = await run('bash', [SCRIPT, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('test/e2e/image.sh', () => {
  it('is valid bash with a usage and refuses unknown options', async () => {
    await expect(run('bash', ['-n', SCRIPT])).resolves.toBeDefined();
    const help = await imageSh(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('test/e2e/image.sh [--keep-image]');
    const wrong = await imageSh(['--bogus']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('unknown option --bogus');
  });

  it('runs every container as the chart runs its pods', () => {
    const values = parse(text('charts/enhancer/values.yaml')) as {
      podSecurityContext: { runAsUser: number; runAsGroup: number; runAsNonRoot: boolean };
      containerSecurityContext: {
        readOnlyRootFilesystem: boolean;
        allowPrivilegeEscalation: boolean;
        capabilities: { drop: string[] };
      };
    };
    const hardened = /^HARDENED=\(([^)]*)\)/m.exec(text('test/e2e/image.sh'))![1]!.replace(/\s+/g, ' ');
    const { podSecurityContext: pod, containerSecurityContext: container } = values;
    expect(container.readOnlyRootFilesystem).toBe(true);
    expect(hardened).toContain('--read-only');
    expect(hardened).toContain('--tmpfs "/tmp:');
    expect(container.capabilities.drop).toEqual(['ALL']);
    expect(hardened).toContain('--cap-drop ALL');
    expect(container.allowPrivilegeEscalation).toBe(false);
    expect(hardened).toContain('--security-opt no-new-privileges');
    expect(pod.runAsNonRoot).toBe(true);
    expect(hardened).toContain(`--user ${pod.runAsUser}:${pod.runAsGroup}`);
    // Every container of the run gets them.
    const runs = text('test/e2e/image.sh').match(/docker run [^\n]*/g)!;
    expect(runs.length).toBeGreaterThanOrEqual(5);
    for (const line of runs.filter((l) => !l.includes("-p 'process.version'"))) {
      expect(line).toContain('"${HARDENED[@]}"');
    }
  });
});

describe('one Node.js major', () => {
  const nvmrc = text('.nvmrc').trim();
  const major = nvmrc.split('.')[0]!;

  it('in .nvmrc, the image, engines and CI', () => {
    expect(nvmrc).toMatch(/^\d+\.\d+\.\d+$/);
    const image = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)-bookworm-slim$/m.exec(text('Dockerfile'));
    expect(image?.slice(1)).toEqual(nvmrc.split('.').slice(0, 2));
    const engines = (JSON.parse(text('package.json')) as { engines: { node: string } }).engines.node;
    expect(engines).toMatch(new RegExp(`^\\^${major}\\.`));
    expect(text('.ci/run')).toMatch(/^source \.ci\/node$/m);
    expect(text('.ci/node')).toContain('NODE_VERSION="$(tr -d \'[:space:]\' <.nvmrc)"');
  });

  it('is an LTS line still supported', () => {
    // Even majors are the LTS lines; 20 reached its end of life in April 2026.
    expect(Number(major) % 2).toBe(0);
    expect(Number(major)).toBeGreaterThanOrEqual(22);
  });
});
