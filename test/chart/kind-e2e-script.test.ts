/**
 * test/e2e/kind.sh needs docker and kind, which CI lacks, so its whole path runs here in --dry-run
 * (simulated cluster answers) and against stub tools that fail on purpose. Shellcheck is not on npm
 * with a bundled binary; run `shellcheck test/e2e/kind.sh` by hand (Debian: apt-get install shellcheck).
 * The dry run signs its webhook posts for real, so the signature checks need openssl on the PATH.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { parse, parseAllDocuments } from 'yaml';
import { jobSchema } from '../../src/domain/job.js';
import { mapTicket } from '../../src/ingest/mapping.js';
import { sign, verifySignature } from '../../src/ingest/signature.js';
import { parseTenants } from '../../src/tenants/tenants.js';
import { KEDA_APIS, renderChart, type K8sObject, type Overrides } from '../helpers/helm.js';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.resolve(__dirname, '../e2e/kind.sh');
const text = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

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

/** One webhook POST of the plan, as the script shows it. */
interface Post {
  readonly line: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly timestamp: string;
  readonly signature: string;
  readonly body: string;
}

function webhookPosts(plan: string[]): Post[] {
  return plan
    .filter((line) => /^\+ curl .* -X POST /.test(line))
    .map((line) => {
      // The bodies hold no single quote, so every quoted argument is one '...' run.
      const headers = Object.fromEntries(
        [...line.matchAll(/ -H '([^:']+): ([^']*)'/g)].map((m) => [m[1]!, m[2]!] as const),
      );
      const body = / --data-binary '([^']*)'$/.exec(line)?.[1] ?? '';
      const url = / -X POST (\S+) /.exec(line)?.[1] ?? '';
      const timestamp = headers['X-Timestamp'] ?? '';
      const signature = headers['X-Signature'] ?? '';
      return { line, url, headers, timestamp, signature, body };
    });
}

/** tenant `dev` of k8s/secrets.yaml, as the ingest pods read it. */
function devTenantSecrets(): readonly string[] {
  const secrets = parseAllDocuments(text('k8s/secrets.yaml')).map(
    (d) => d.toJS() as { metadata: { name: string }; stringData: Record<string, string> },
  );
  const tenantsJson = secrets.find((s) => s.metadata.name === 'enhancer-dev-tenants')!.stringData[
    'tenants.json'
  ]!;
  return parseTenants(tenantsJson).get('dev')!.secrets;
}

describe('test/e2e/kind.sh', () => {
  it('is valid bash', async () => {
    await expect(execFileAsync('bash', ['-n', SCRIPT])).resolves.toBeDefined();
  });

  it('plans the whole run in order, without docker or kind, and ends with one PASS line', async () => {
    const { code, stdout } = await kindSh(['--dry-run']);
    expect(code).toBe(0);
    const plan = lines(stdout);
    expect(plan.at(-1)).toBe(
      'kind e2e: PASS (200/200 completed, 20/20 webhook tickets completed, max replicas 4, back to 1) [dry run: simulated answers]',
    );
    const steps = [
      /^\+ docker info/,
      /^\+ kind create cluster --name enhancer-e2e/,
      /^\+ docker build --tag enhancer:e2e /,
      /^\+ kind load docker-image enhancer:e2e --name enhancer-e2e$/,
      /^\+ helm upgrade --install keda keda --repo https:\/\/kedacore\.github\.io\/charts --version 2\.16\.\d+ /,
      /^\+ kubectl .* apply --kustomize \S+\/k8s$/,
      /^\+ kubectl .* wait --for=condition=Available deployment\/rabbitmq deployment\/postgres/,
      /^\+ helm upgrade --install enhancer \S+\/charts\/enhancer .*--values \S+\/k8s\/dev-values\.yaml .*--set-string image\.tag=e2e/,
      /^\+ kubectl .* wait --for=condition=Ready scaledobjects --all/,
      /^\+ kubectl .*--namespace enhancer-e2e port-forward svc\/enhancer-ingest :80 --address 127\.0\.0\.1$/,
      /^\+ curl -fs .* http:\/\/127\.0\.0\.1:\d+\/readyz$/,
      /^\+ curl .* -X POST http:\/\/127\.0\.0\.1:\d+\/webhook\/servicedesk .*X-Signature: sha256=/,
      /^\+ kubectl .* exec -i deploy\/enhancer -- node dist\/cli\.js enqueue --file \/dev\/stdin < \S+ {2}# 200 lines/,
      /^\+ kubectl .* get deployment enhancer --output 'jsonpath=\{\.status\.replicas\}'$/,
      /^\+ kubectl .* exec deploy\/postgres -- psql .*enhancement_history where status = .*tenant_id = .*e2e/,
      /^\+ kubectl .* exec deploy\/postgres -- psql .*enhancement_history where status = .*tenant_id = .*dev/,
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

  it('points KEDA at RabbitMQ in the e2e namespace through the chart, patching no Secret', async () => {
    const { stdout } = await kindSh(['--dry-run']);
    expect(stdout).not.toMatch(/ patch secret /);
    const devValues = parse(text('k8s/dev-values.yaml')) as Overrides;
    const objects = await renderChart(devValues, { namespace: 'enhancer-e2e', apiVersions: KEDA_APIS });
    const scaled = objects.find((o) => o.kind === 'ScaledObject')!;
    const url = new URL((scaled.spec as IScaledObject['spec']).triggers[0]!.metadata.host as string);
    expect([url.protocol, url.host, url.pathname, url.username]).toEqual([
      'http:',
      'rabbitmq.enhancer-e2e.svc.cluster.local:15672',
      '/%2F',
      '',
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

  describe('the webhook part', () => {
    let plan: string[];
    let posts: Post[];
    beforeAll(async () => {
      const { code, stdout } = await kindSh(['--dry-run']);
      expect(code).toBe(0);
      plan = lines(stdout);
      posts = webhookPosts(plan);
    });

    it('port-forwards the ingest Service the chart renders with the dev values, and waits for /readyz', async () => {
      const forward = plan.findIndex((l) => / port-forward svc\/enhancer-ingest :80 /.test(l));
      const ready = plan.findIndex((l) => /^\+ curl .*\/readyz$/.test(l));
      const enqueue = plan.findIndex((l) => / enqueue --file /.test(l));
      expect(forward).toBeGreaterThan(plan.findIndex((l) => /^\+ helm upgrade --install enhancer /.test(l)));
      expect(ready).toBeGreaterThan(forward);
      // The tickets go first, ahead of the backlog, and all 22 before anything is enqueued.
      expect(plan.indexOf(posts[0]!.line)).toBeGreaterThan(ready);
      expect(plan.indexOf(posts.at(-1)!.line)).toBeLessThan(enqueue);
      const devValues = parseAllDocuments(text('k8s/dev-values.yaml'))[0]!.toJS() as Overrides;
      const objects: K8sObject[] = await renderChart(devValues, { apiVersions: KEDA_APIS });
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'enhancer-ingest') as
        { spec: { ports: { port: number; targetPort: string }[] } } | undefined;
      expect(svc?.spec.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 'http' })]);
    });

    it('posts 20 flat tickets, unique per run, signed as docs/ingest.md says with tenant dev of k8s/secrets.yaml', () => {
      expect(posts).toHaveLength(22);
      const tickets = posts.slice(0, 20);
      const secrets = devTenantSecrets();
      for (const post of posts) {
        expect(post.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook\/servicedesk$/);
        expect(post.headers).toEqual({
          'Content-Type': 'application/json',
          'X-Tenant-ID': 'dev',
          'X-Timestamp': expect.stringMatching(/^\d{10}$/),
          'X-Signature': expect.stringMatching(/^sha256=[0-9a-f]{64}$/),
        });
      }
      const ids = tickets.map((p) => {
        const body = JSON.parse(p.body) as Record<string, unknown>;
        expect(Object.keys(body)).toEqual(['ticket_id', 'description', 'priority']);
        const mapped = mapTicket(body);
        expect(mapped).toMatchObject({ ok: true });
        expect(mapped).not.toHaveProperty('unknownPriority');
        return body.ticket_id as string;
      });
      const run = /^E2E-WEBHOOK-(\S+)-1$/.exec(ids[0]!)?.[1];
      expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `E2E-WEBHOOK-${run}-${i + 1}`));
      // The same run id scopes the 200 enqueued jobs' count.
      expect(plan.join('\n')).toContain(`ticket_id like '\\''e2e-${run}-%'\\''`);
      for (const post of posts.slice(0, 21)) {
        expect(post.signature).toBe(sign(secrets[0]!, Buffer.from(post.body), post.timestamp));
        const check = verifySignature(
          { body: Buffer.from(post.body), signature: post.signature, timestamp: post.timestamp },
          { secrets, requireTimestamp: true, maxSkewMs: 300_000, nowMs: Date.now() },
        );
        expect(check).toEqual({ ok: true });
      }
    });

    it('posts the first ticket again and one with a wrong signature, and checks their answers', () => {
      const [first, duplicate, forged] = [posts[0]!, posts[20]!, posts[21]!];
      expect(duplicate.body).toBe(first.body);
      expect((JSON.parse(forged.body) as { ticket_id: string }).ticket_id).toMatch(
        /^E2E-WEBHOOK-\S+-forged$/,
      );
      const check = verifySignature(
        { body: Buffer.from(forged.body), signature: forged.signature, timestamp: forged.timestamp },
        { secrets: devTenantSecrets(), requireTimestamp: true, maxSkewMs: 300_000, nowMs: Date.now() },
      );
      expect(check).toEqual({ ok: false, reason: 'signature does not match' });
    });

    it('waits for exactly the job_ids the 202 answers named to be completed for tenant dev', () => {
      const queries = plan.filter((l) => / psql .* and tenant_id = '\\''dev'\\'' /.test(l));
      expect(queries.length).toBeGreaterThan(0);
      const ids = [...queries[0]!.matchAll(/'\\''([0-9a-f-]{36})'\\''/g)].map((m) => m[1]);
      // The simulated answers' job_ids, 1 to 20; the duplicate's is the first again and not added.
      expect(ids).toEqual(
        Array.from({ length: 20 }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`),
      );
      expect(queries[0]).toContain("where status = '\\''completed'\\''");
    });

    it('fails, after posting twice more, when the webhook does not accept a ticket', async () => {
      const { code, stdout } = await kindSh(['--dry-run'], { KIND_E2E_SIM_WEBHOOK_CODE: '503' });
      expect(code).toBe(1);
      const out = lines(stdout);
      expect(out.at(-1)).toMatch(
        /^kind e2e: FAIL \(webhook ticket E2E-WEBHOOK-\S+-1: HTTP 503, not 202: \{"error":"simulated"\}\) \[dry run: simulated answers\]$/,
      );
      const again = webhookPosts(out);
      expect(again).toHaveLength(3);
      expect(new Set(again.map((p) => p.body)).size).toBe(1);
      expect(stdout).not.toContain(' enqueue ');
      expect(out.at(-2)).toBe('+ kind delete cluster --name enhancer-e2e');
    });

    it("signs with docs/ingest.md's recipe, which agrees with sign() from src/ingest/signature.ts", async () => {
      const fn = /^webhook_signature\(\) \{\n[\s\S]*?\n\}$/m.exec(readFileSync(SCRIPT, 'utf8'))?.[0];
      expect(fn).toBeDefined();
      // The pipeline is docs/ingest.md's, byte for byte but for the secret's variable name.
      const recipe = /^sig=\$\((printf .*)\)$/m.exec(text('docs/ingest.md'))?.[1];
      expect(fn).toContain(recipe!.replace('"$ACME_SECRET"', '"$secret"'));
      const secret = 'dev-webhook-secret-0123456789';
      const timestamp = '1767225600';
      for (const body of [
        '{"ticket_id":"T-42","description":"VPN down","priority":"high"}',
        '{"ticket_id":"T-43","description":"100% down, \\"quoted\\" \\\\ \'single\' ünïcödé ✓\\n","priority":"Urgent"}\n',
      ]) {
        const { stdout } = await execFileAsync('bash', [
          '-c',
          `${fn!}\nwebhook_signature "$1" "$2" "$3"`,
          'bash',
          secret,
          timestamp,
          body,
        ]);
        expect(`sha256=${stdout.trimEnd()}`).toBe(sign(secret, Buffer.from(body), timestamp));
      }
    });

    it("signs as tenant dev with k8s/secrets.yaml's secret", () => {
      const script = readFileSync(SCRIPT, 'utf8');
      expect(/^readonly WEBHOOK_TENANT=(\S+)$/m.exec(script)?.[1]).toBe('dev');
      expect(devTenantSecrets()).toContain(/^readonly WEBHOOK_SECRET=(\S+)$/m.exec(script)?.[1]);
    });
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
