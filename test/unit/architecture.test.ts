import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SRC = path.resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(full);
      return e.isFile() && /\.m?ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : [];
    })
    .sort();
}

/** A relative import → the file it names (`x` → `x.ts` or `x/index.ts`), or throws. */
function resolveImport(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ''));
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && fs.existsSync(candidate) && fs.statSync(candidate).isFile())
      return candidate;
  }
  throw new Error(`${path.relative(SRC, from)} imports ${spec}, which resolves to no file`);
}

/** Every file → the src files it imports (type-only imports included: they still couple modules). */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const deps = info.importedFiles
      .map((f) => f.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => resolveImport(file, spec));
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/** Depth-first search; returns the first cycle found as a list of files, first file repeated at the end. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'visiting') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const rel = (files: readonly string[]) => files.map((f) => path.relative(SRC, f));

/**
 * The layers of src/ (its top-level folders; `cli.ts` belongs to `cli`) and what each may import
 * besides itself: a layer's name, or one module or folder of another layer (`worker/ports`: an adapter
 * implements the port its consumer declares, and imports nothing else of it). Read bottom-up: `domain`
 * and `lib` import nothing of ours; the entry point (`cli`) may import any product layer; no layer
 * imports `cli`. A new top-level folder needs a row here.
 */
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  domain: [],
  lib: [],
  config: ['domain', 'lib'],
  observability: ['config', 'domain', 'lib'],
  tenants: ['config', 'domain', 'lib', 'observability'],
  import: ['domain', 'lib'],
  pipeline: ['domain', 'lib', 'observability', 'tenants'],
  k8s: ['config', 'domain', 'lib', 'observability'],
  adapters: ['config', 'domain', 'lib', 'observability', 'tenants', 'import', 'pipeline', 'worker/ports'],
  ingest: ['adapters', 'config', 'domain', 'lib', 'observability', 'tenants'],
  worker: ['adapters', 'config', 'domain', 'k8s', 'lib', 'observability', 'pipeline', 'tenants'],
  cli: [
    'adapters',
    'config',
    'domain',
    'import',
    'ingest',
    'k8s',
    'lib',
    'observability',
    'pipeline',
    'tenants',
    'worker',
  ],
};

/**
 * Drivers and SDKs, each used only behind its adapter: the folders (or files) that may import it.
 * A name ending in `/` covers the packages of that scope.
 */
const PACKAGE_OWNERS: Readonly<Record<string, readonly string[]>> = {
  amqplib: ['adapters/amqp'],
  pg: ['adapters/db'],
  'pg-copy-streams': ['adapters/db'],
  '@mikro-orm/': ['adapters/db'],
  '@kubernetes/client-node': ['k8s'],
  winston: ['observability'],
  openai: ['adapters/llm'],
};

/** The layer of a file under `root`: its top-level folder, or its name for a top-level file. */
function layerOf(root: string, file: string): string {
  const [top] = path.relative(root, file).split(path.sep);
  return top!.replace(/\.ts$/, '');
}

/** Does `entry` (a layer, a folder or a module without `.ts`) cover the file `relPath`? */
function covers(entry: string, relPath: string): boolean {
  const p = relPath.split(path.sep).join('/');
  return p === `${entry}.ts` || p === entry || p.startsWith(`${entry}/`);
}

/** Every import of `graph` that `layers` does not allow, as `from → to (rule)`. */
function layerViolations(
  root: string,
  graph: ReadonlyMap<string, readonly string[]>,
  layers: Readonly<Record<string, readonly string[]>>,
): string[] {
  const out: string[] = [];
  for (const [file, deps] of graph) {
    const from = layerOf(root, file);
    const allowed = layers[from];
    if (!allowed) {
      out.push(`${path.relative(root, file)}: layer ${from} has no row in LAYERS`);
      continue;
    }
    for (const dep of deps) {
      const to = path.relative(root, dep);
      if (layerOf(root, dep) === from || allowed.some((entry) => covers(entry, to))) continue;
      out.push(
        `${path.relative(root, file)} → ${to} (${from} may import: ${allowed.join(', ') || 'only itself'})`,
      );
    }
  }
  return out;
}

/** Every import of a package outside the folders `owners` allows it in. */
function packageViolations(
  root: string,
  files: readonly string[],
  owners: Readonly<Record<string, readonly string[]>>,
): string[] {
  const out: string[] = [];
  for (const file of files) {
    const relPath = path.relative(root, file);
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of info.importedFiles) {
      for (const [pkg, where] of Object.entries(owners)) {
        const hit = pkg.endsWith('/') ? spec.startsWith(pkg) : spec === pkg || spec.startsWith(`${pkg}/`);
        if (hit && !where.some((entry) => covers(entry, relPath)))
          out.push(`${relPath} imports ${spec} (only in: ${where.join(', ')})`);
      }
    }
  }
  return out;
}

describe('architecture', () => {
  const files = sourceFiles(SRC);
  const graph = importGraph(files);

  it('finds the source and its imports', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(rel(graph.get(path.join(SRC, 'domain/retry-policy.ts'))!)).toEqual(['domain/errors.ts']);
  });

  it('detects a cycle when there is one (checking the checker)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['b']],
      ['d', []],
    ]);
    expect(findCycle(g)).toEqual(['b', 'c', 'b']);
    expect(
      findCycle(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toBeUndefined();
  });

  it('has no import cycles in src/', () => {
    const cycle = findCycle(graph);
    expect(cycle ? rel(cycle).join(' → ') : 'no cycle').toBe('no cycle');
  });

  it('detects an import its layer does not allow (checking the checker)', () => {
    const root = '/r';
    const g = new Map([
      ['/r/domain/a.ts', ['/r/domain/b.ts', '/r/lib/c.ts']],
      ['/r/adapters/x/d.ts', ['/r/worker/ports.ts', '/r/worker/worker.ts']],
      ['/r/mystery/e.ts', []],
    ]);
    const layers = { domain: [], lib: [], adapters: ['worker/ports'], worker: [] };
    expect(layerViolations(root, g, layers)).toEqual([
      'domain/a.ts → lib/c.ts (domain may import: only itself)',
      'adapters/x/d.ts → worker/worker.ts (adapters may import: worker/ports)',
      'mystery/e.ts: layer mystery has no row in LAYERS',
    ]);
  });

  it('imports across layers only as LAYERS allows', () => {
    expect(layerViolations(SRC, graph, LAYERS)).toEqual([]);
  });

  it('has no row in LAYERS for a folder that is gone', () => {
    const present = new Set(files.map((f) => layerOf(SRC, f)));
    expect(Object.keys(LAYERS).filter((l) => !present.has(l))).toEqual([]);
  });

  it('uses each driver and SDK only behind its adapter', () => {
    expect(packageViolations(SRC, files, PACKAGE_OWNERS)).toEqual([]);
  });

  // One import style: `./x.js`, which nodenext needs on dynamic imports; jest's moduleNameMapper maps
  // it back to the .ts source. Jest loads a test environment itself, without that mapping, so there
  // `.js` names a file that does not exist.
  const LOADED_BY_JEST_ALONE = ['test/helpers/leak-guard-environment.ts'];
  it('writes every relative import of src/, test/ and tools/ with its .js extension', () => {
    const root = path.resolve(SRC, '..');
    const bare = ['src', 'test', 'tools']
      .flatMap((d) => (fs.existsSync(path.join(root, d)) ? sourceFiles(path.join(root, d)) : []))
      .filter((file) => !LOADED_BY_JEST_ALONE.includes(path.relative(root, file)))
      .flatMap((file) =>
        ts
          .preProcessFile(fs.readFileSync(file, 'utf8'), true, true)
          .importedFiles.map((f) => f.fileName)
          .filter((spec) => spec.startsWith('.') && !/\.(js|mjs|cjs|json)$/.test(spec))
          .map((spec) => `${path.relative(root, file)}: ${spec}`),
      );
    expect(bare).toEqual([]);
  });

  it('reads process.env only under src/config/', () => {
    const readers = files.filter(
      (f) =>
        !f.startsWith(path.join(SRC, 'config') + path.sep) &&
        fs.readFileSync(f, 'utf8').includes('process.env'),
    );
    expect(rel(readers)).toEqual([]);
  });
});
