/** src/ is the product: the demo and the benchmarks live in tools/, and nothing in src/ reaches them. */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('tools/ and src/', () => {
  it('src/ imports nothing from tools/', () => {
    const tools = path.join(ROOT, 'tools') + path.sep;
    const offenders = tsFiles(path.join(ROOT, 'src')).filter((file) =>
      [...fs.readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)].some((m) =>
        path.resolve(path.dirname(file), m[1]!).startsWith(tools),
      ),
    );
    expect(offenders.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  it('the image builds src/ only and has nothing to delete afterwards', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^COPY src \.\/src$/m);
    expect(dockerfile).not.toMatch(/tools|rm -rf dist/);
  });

  it('the npm scripts run the tools from their own build', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const name of ['demo', 'bench', 'bench:import']) {
      expect(scripts[name]).toMatch(/npm run build && npm run build:tools && node dist-tools\/tools\//);
    }
  });
});
