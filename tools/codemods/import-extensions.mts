/**
 * One import style: every relative module specifier names the file it loads as compiled, `./x.js`
 * (or `./dir/index.js`), which is what `module: nodenext` needs for dynamic imports anyway and what
 * the architecture test then enforces. Rewrites, in place, the .ts/.mts files of src/, test/ and tools/
 * (or the folders given): import and export declarations, `import()` in code and in types,
 * `require()`, and jest.mock-family paths (jest's moduleNameMapper maps `.js` back to the source).
 *
 *   node tools/codemods/import-extensions.mts            # rewrite, then print what changed
 *   node tools/codemods/import-extensions.mts --check    # change nothing; exit 1 if any would change
 *
 * Node 24 runs it as is (types are stripped). Afterwards run `npx prettier --write src test tools` (a
 * few lines grow past the width) and enable the skipped check in test/unit/architecture.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const folders = args.filter((a) => !a.startsWith('--'));
const JEST_PATHS = new Set([
  'mock',
  'doMock',
  'unmock',
  'dontMock',
  'requireActual',
  'requireMock',
  'createMockFromModule',
]);

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : files(full);
    return /\.m?ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The specifier with its extension, or undefined when it has one or names no source file. */
export function withExtension(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('./') && !spec.startsWith('../') && spec !== '.' && spec !== '..') return undefined;
  if (/\.(js|mjs|cjs|json|node)$/.test(spec)) return undefined;
  const base = path.resolve(path.dirname(fromFile), spec);
  if (fs.existsSync(`${base}.ts`)) return `${spec}.js`;
  if (fs.existsSync(`${base}.mts`)) return `${spec}.mjs`;
  if (fs.existsSync(path.join(base, 'index.ts'))) return `${spec.replace(/\/$/, '')}/index.js`;
  return undefined;
}

/** Every relative module specifier in `source` that lacks its extension, as text edits. */
export function edits(file: string, source: string): { start: number; end: number; text: string }[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const out: { start: number; end: number; text: string }[] = [];
  const consider = (lit: ts.Node | undefined) => {
    if (!lit || !ts.isStringLiteralLike(lit)) return;
    const next = withExtension(file, lit.text);
    if (next) out.push({ start: lit.getStart(sf) + 1, end: lit.getEnd() - 1, text: next });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) consider(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      consider(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      consider(node.argument.literal);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isJest =
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'jest' &&
        JEST_PATHS.has(callee.name.text);
      if (isImport || isRequire || isJest) consider(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function main(): void {
  const roots = (folders.length ? folders : ['src', 'test', 'tools']).map((f) => path.resolve(ROOT, f));
  let changedFiles = 0;
  let changedSpecs = 0;
  for (const file of roots.flatMap(files)) {
    const source = fs.readFileSync(file, 'utf8');
    const list = edits(file, source);
    if (!list.length) continue;
    changedFiles++;
    changedSpecs += list.length;
    if (check) {
      console.log(`${path.relative(ROOT, file)}: ${list.length} import(s) without extension`);
      continue;
    }
    let text = source;
    for (const e of [...list].sort((a, b) => b.start - a.start))
      text = text.slice(0, e.start) + e.text + text.slice(e.end);
    fs.writeFileSync(file, text);
  }
  console.log(
    `${check ? 'would change' : 'changed'} ${changedSpecs} specifier(s) in ${changedFiles} file(s)`,
  );
  if (check && changedSpecs > 0) process.exitCode = 1;
}

main();
