/** Every relative link in README.md and docs/*.md names a file that exists, and a heading in it. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const DOCS = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text outside fenced code blocks and inline code, where a link is a link. */
const prose = (md: string) => md.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const md = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...md.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Broken links of one file, as `file: target (why)`. */
function broken(doc: string, text?: string): string[] {
  const file = path.join(ROOT, doc);
  const links = [...prose(text ?? readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  return links.flatMap((link) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) return []; // http:, https:, mailto:
    const [target = '', anchor] = link.split('#');
    const resolved = target ? path.resolve(path.dirname(file), target) : file;
    if (!existsSync(resolved)) return [`${doc}: ${link} (no such file)`];
    if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) {
      return [`${doc}: ${link} (no heading #${anchor})`];
    }
    return [];
  });
}

describe('links in the documentation', () => {
  it('finds the documents and their links', () => {
    expect(DOCS).toEqual(
      expect.arrayContaining(['README.md', 'docs/configuration.md', 'docs/deployment.md']),
    );
    expect(
      DOCS.flatMap((d) => [...readFileSync(path.join(ROOT, d), 'utf8').matchAll(/\]\(/g)]).length,
    ).toBeGreaterThan(20);
  });

  it.each(DOCS)('%s: every relative link resolves', (doc) => {
    expect(broken(doc)).toEqual([]);
  });

  it('slugs headings as GitHub does', () => {
    expect(slug('In a cluster: leader-elected janitor and dead-letter Events')).toBe(
      'in-a-cluster-leader-elected-janitor-and-dead-letter-events',
    );
    expect(slug('Checked by `npm run test:image`')).toBe('checked-by-npm-run-testimage');
  });

  it('would notice a missing file and a missing heading', () => {
    const text = '[a](nope.md) [b](operations.md#nope) [c](operations.md#metrics) [d](#topology) `[e](x.md)`';
    expect(broken('docs/topology.md', text)).toEqual([
      'docs/topology.md: nope.md (no such file)',
      'docs/topology.md: operations.md#nope (no heading #nope)',
    ]);
  });
});

describe("the README's two commands", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const first = /^```sh\n([\s\S]*?)^```/m.exec(readme)?.[1] ?? '';
  const commands = first.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim());

  it('come first: set up and run the demo, then run the tests', () => {
    expect(commands.slice(0, 2)).toEqual(['npm ci && npm run demo', 'npm test']);
  });

  it('are what CI runs: .ci/run installs from the lockfile, then runs npm test', () => {
    const run = readFileSync(path.join(ROOT, '.ci/run'), 'utf8').trim().split('\n');
    expect(run.slice(-2)).toEqual(['npm ci --no-audit --no-fund', 'npm test']);
  });

  it('name scripts that exist', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.demo).toBeDefined();
    expect(scripts.test).toBeDefined();
  });

  it('keep the README short: what it is, the commands, a diagram, helm install, links', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(8 * 1024);
  });
});
