import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SRC = path.resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return sourceFiles(full);
      return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
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

describe('architecture', () => {
  const files = sourceFiles(SRC);
  const graph = importGraph(files);

  it('finds the source and its imports', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(rel(graph.get(path.join(SRC, 'domain/retry-policy.ts'))!)).toEqual([
      'config/schema.ts',
      'domain/errors.ts',
    ]);
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

  it('reads process.env only under src/config/', () => {
    const readers = files.filter(
      (f) =>
        !f.startsWith(path.join(SRC, 'config') + path.sep) &&
        fs.readFileSync(f, 'utf8').includes('process.env'),
    );
    expect(rel(readers)).toEqual([]);
  });
});
