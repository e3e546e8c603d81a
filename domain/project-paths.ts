import * as path from 'node:path';
import * as fs from 'node:fs';

// The project root, whether running from sources (vitest, ts) or from dist/ (npm start).
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'images'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the Kiln project root above ${start}`);
    dir = parent;
  }
}

export const PROJECT_ROOT = findRoot(__dirname);
export const TOOLS_DIR = process.env.KILN_TOOLS_DIR ?? path.join(PROJECT_ROOT, '.tools');
export const SETUP_COMMAND = 'npm run setup';

/** Resolve a module of ours to its .ts source (vitest, bundler) or its compiled .js (dist). */
export function resolveOwnModule(fromDir: string, relative: string): string {
  for (const ext of ['.ts', '.js']) {
    const candidate = path.resolve(fromDir, relative + ext);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`module ${relative} not found from ${fromDir}`);
}
