/**
 * test/e2e/kind.sh needs docker and kind, which CI lacks, so its whole path runs here in --dry-run
 * (simulated cluster answers) and against stub tools that fail on purpose. Shellcheck is not on npm
 * with a bundled binary; run `shellcheck test/e2e/kind.sh` by hand (Debian: apt-get install shellcheck).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { jobSchema } from '../../src/domain/job';

const execFileAsync = promisify(execFile);
const SCRIPT = path.resolve(__dirname, '../e2e/kind.sh');

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function kindSh(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync('bash', [SCRIPT, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const lines = (out: string) => out.trimEnd().split('\n');

describe('test/e2e/kind.sh', () => {
  it('is valid bash', async () => {
    await expect(execFileAsync('bash', ['-n', SCRIPT])).resolves.toBeDefined();
  });

  it('plans the whole run in order, without docker or kind, and ends with one PASS line', async () => {
    const { code, stdout } = await kindSh(['--dry-run']);
    expect(code).toBe(0);
    const plan = lines(stdout);
    expect(plan.at(-1)).toBe(
      'kind e2e: PASS (200/200 completed, max replicas 4, back to 1) [dry run: simulated answers]',
    );
    const steps = [
      /^\+ docker info/,
      /^\+ kind create cluster --name enhancer-e2e/,
      /^\+ docker build --tag enhancer:e2e /,
      /^\+ kind load docker-image enhancer:e2e --name enhancer-e2e$/,
      /^\+ helm upgrade --install keda keda --repo https:\/\/kedacore\.github\.io\/charts --version 2\.16\.\d+ /,
      /^\+ kubectl .* apply --kustomize \S+\/k8s$/,
      /^\+ kubectl .*--namespace enhancer-e2e patch secret enhancer-dev --type merge --patch '\{.*\}'$/,
      /^\+ kubectl .* wait --for=condition=Available deployment\/rabbitmq deployment\/postgres/,
      /^\+ helm upgrade --install enhancer \S+\/charts\/enhancer .*--values \S+\/k8s\/dev-values\.yaml .*--set-string image\.tag=e2e/,
      /^\+ kubectl .* wait --for=condition=Ready scaledobjects --all/,
      /^\+ kubectl .* exec -i deploy\/enhancer -- node dist\/cli\.js enqueue --file \/dev\/stdin < \S+ {2}# 200 lines/,
      /^\+ kubectl .* get deployment enhancer --output 'jsonpath=\{\.status\.replicas\}'$/,
      /^\+ kubectl .* exec deploy\/postgres -- psql .*enhancement_history where status = /,
      /^\+ kind delete cluster --name enhancer-e2e$/,
    ];
    let from = 0;
    for (const step of steps) {
      const at = plan.findIndex((line, i) => i >= from && step.test(line));
      expect({ step: step.source, found: at >= 0 }).toEqual({ step: step.source, found: true });
      from = at + 1;
    }
    // Every line but the verdict is a command of the plan.
    for (const line of plan.slice(0, -1)) expect(line).toMatch(/^\+ /);
  });

  it('points KEDA at RabbitMQ by its fully qualified name in the e2e namespace, keeping the other keys', async () => {
    const { stdout } = await kindSh(['--dry-run']);
    const patch = /--namespace (\S+) patch secret enhancer-dev --type merge --patch '(\{.*\})'$/m.exec(
      stdout,
    );
    expect(patch?.[1]).toBe('enhancer-e2e');
    // A merge patch of stringData: the one key is replaced, AMQP_URL and DATABASE_URL stay as applied.
    const body = JSON.parse(patch![2]!) as { stringData: Record<string, string> };
    expect(Object.keys(body)).toEqual(['stringData']);
    expect(Object.keys(body.stringData)).toEqual(['RABBITMQ_MANAGEMENT_URL']);
    const url = new URL(body.stringData.RABBITMQ_MANAGEMENT_URL!);
    expect([url.protocol, url.host, url.pathname]).toEqual([
      'http:',
      'rabbitmq.enhancer-e2e.svc.cluster.local:15672',
      '/%2F',
    ]);
  });

  it('enqueues jobs that pass the job contract and sleep long enough to build a backlog', async () => {
    const { stdout } = await kindSh(['--dry-run']);
    const first = /# 200 lines, the first: (\{.*\})$/m.exec(stdout)?.[1];
    const raw = JSON.parse(first!);
    // `enqueue` fills in job_id and timestamp the same way.
    const job = jobSchema.parse({ job_id: randomUUID(), timestamp: new Date().toISOString(), ...raw });
    expect(job.simulate).toEqual({ sleep_ms: 2000 });
  });

  it('fails when the worker never scaled above one replica', async () => {
    const { code, stdout } = await kindSh(['--dry-run'], { KIND_E2E_SIM_MAX_REPLICAS: '1' });
    expect(code).toBe(1);
    expect(lines(stdout).at(-1)).toBe(
      'kind e2e: FAIL (200/200 completed but the worker never scaled above 1 replica) [dry run: simulated answers]',
    );
  });

  it('keeps the cluster with --keep and refuses unknown options', async () => {
    const kept = await kindSh(['--dry-run', '--keep']);
    expect(kept.code).toBe(0);
    expect(kept.stdout).not.toContain('kind delete cluster');
    const bad = await kindSh(['--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown option --bogus');
  });

  describe('for real, against stub tools', () => {
    let bin: string;
    beforeEach(() => {
      bin = mkdtempSync(path.join(tmpdir(), 'kind-sh-'));
      // Each stub logs its arguments; `kind load` fails like a missing docker image would.
      for (const tool of ['docker', 'kubectl', 'helm', 'kind']) {
        const fail = tool === 'kind' ? '[ "$1" = load ] && exit 3\n' : '';
        writeFileSync(
          path.join(bin, tool),
          `#!/bin/sh\necho "${tool} $*" >> "${bin}/calls"\n${fail}exit 0\n`,
        );
        chmodSync(path.join(bin, tool), 0o755);
      }
    });
    afterEach(() => rmSync(bin, { recursive: true, force: true }));

    it('names the command that failed, exits 1 and still deletes the cluster', async () => {
      const { code, stdout } = await kindSh([], { PATH: `${bin}:${process.env.PATH}` });
      expect(code).toBe(1);
      expect(stdout).toBe(
        "kind e2e: FAIL ('kind load docker-image enhancer:e2e --name enhancer-e2e' exited 3)\n",
      );
      const calls = lines(readFileSync(path.join(bin, 'calls'), 'utf8'));
      expect(calls.at(-1)).toBe('kind delete cluster --name enhancer-e2e');
      expect(calls).not.toContainEqual(expect.stringMatching(/^helm /));
    });
  });
});
