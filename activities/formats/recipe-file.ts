import * as fs from 'node:fs';
import * as path from 'node:path';
import { KilnError } from '../../domain/errors';

// Files of an exported recipe, read by the host: the recipe is hostile, so no link it made is ever followed, on the
// way to the file or at it, and nothing but a regular file of bounded size is read.

export type RecipeEntryKind = 'file' | 'executable' | 'link' | 'other';

function refused(rel: string, why: string): KilnError {
  return new KilnError('RECIPE_INVALID', `${rel}: ${why}`);
}

/** What is at `rel` in the recipe (links not followed), or undefined when nothing is. */
export async function recipeEntryKind(recipeDir: string, rel: string): Promise<RecipeEntryKind | undefined> {
  const segments = rel.split('/');
  let at = recipeDir;
  for (const [i, segment] of segments.entries()) {
    at = path.join(at, segment);
    let stat: fs.Stats;
    try {
      stat = await fs.promises.lstat(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
    const last = i === segments.length - 1;
    if (stat.isSymbolicLink()) {
      if (last) return 'link';
      throw refused(rel, `${segments.slice(0, i + 1).join('/')} is a symbolic link: Kiln does not follow links a recipe made`);
    }
    if (!last) {
      if (!stat.isDirectory()) return undefined;
      continue;
    }
    if (!stat.isFile()) return 'other';
    return (stat.mode & 0o111) !== 0 ? 'executable' : 'file';
  }
  return undefined;
}

/** The text of a regular file of the recipe, or undefined when there is none; a link or a large file is refused. */
export async function readRecipeFile(recipeDir: string, rel: string, maxBytes: number): Promise<string | undefined> {
  const kind = await recipeEntryKind(recipeDir, rel);
  if (kind === undefined) return undefined;
  if (kind === 'link') throw refused(rel, 'is a symbolic link: Kiln does not follow links a recipe made');
  if (kind === 'other') throw refused(rel, 'is not a regular file');
  // O_NOFOLLOW: the file cannot have become a link since it was looked at.
  const handle = await fs.promises.open(path.join(recipeDir, rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw refused(rel, 'is not a regular file');
    if (stat.size > maxBytes) throw refused(rel, `is ${stat.size} bytes, over the ${maxBytes} Kiln reads`);
    return (await handle.readFile()).toString('utf8');
  } finally {
    await handle.close();
  }
}
