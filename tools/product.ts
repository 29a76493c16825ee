import fs from 'node:fs';
import path from 'node:path';

/** The repository root: the nearest folder above this file that holds package.json (from tools/ or dist-tools/tools/). */
function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/** The product's compiled command line (`npm run build`), which the demo and the benchmarks start as children. */
export const PRODUCT_CLI = path.join(repositoryRoot(), 'dist', 'cli.js');
