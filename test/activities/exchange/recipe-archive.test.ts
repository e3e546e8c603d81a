import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recipeArchive } from '../../../activities/exchange/recipe-archive';
import { DataLayout } from '../../../domain/data-layout';

// The recipe a build worker fetches: one archive per tree hash, made once, the same bytes wherever it is made.

const roots: string[] = [];
afterEach(() => { for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true }); });

function layoutWithRecipe(files: Record<string, string>): DataLayout {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-recipe-archive-'));
  roots.push(root);
  const layout = new DataLayout(root);
  const dir = layout.recipe('example', 'abc123');
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return layout;
}

const recipe = { 'debian/control': 'Source: hello\n', 'debian/rules': '#!/usr/bin/make -f\n', 'src/hello.c': 'int main(){}\n' };

describe('recipe archive', () => {
  it('is made once per tree hash: the second ask reuses the stored blob without reading the export', async () => {
    const layout = layoutWithRecipe(recipe);
    const first = await recipeArchive(layout, 'example', 'abc123');
    expect(fs.existsSync(path.join(layout.store, first.sha256))).toBe(true);
    // With the export gone, only the recorded archive can answer.
    fs.rmSync(layout.recipe('example', 'abc123'), { recursive: true });
    expect(await recipeArchive(layout, 'example', 'abc123')).toEqual(first);
  });

  it('is made again when its blob left the store, and the export must then exist', async () => {
    const layout = layoutWithRecipe(recipe);
    const first = await recipeArchive(layout, 'example', 'abc123');
    fs.rmSync(path.join(layout.store, first.sha256));
    expect(await recipeArchive(layout, 'example', 'abc123')).toEqual(first);
    fs.rmSync(path.join(layout.store, first.sha256));
    fs.rmSync(layout.recipe('example', 'abc123'), { recursive: true });
    await expect(recipeArchive(layout, 'example', 'abc123')).rejects.toThrow(/is missing/);
  });

  it('is deterministic (sorted, no owners, fixed times): two data dirs make the same blob', async () => {
    const a = layoutWithRecipe(recipe);
    const b = layoutWithRecipe(recipe);
    fs.utimesSync(path.join(b.recipe('example', 'abc123'), 'src/hello.c'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const [ra, rb] = [await recipeArchive(a, 'example', 'abc123'), await recipeArchive(b, 'example', 'abc123')];
    expect(rb).toEqual(ra);
    const listing = execFileSync('tar', ['-tvf', path.join(a.store, ra.sha256)], { encoding: 'utf8' });
    expect(listing).toMatch(/0\/0 .* 1970-01-01 .*\.\/debian\/control/);
    expect(listing).not.toMatch(/root\/root/);
  });
});
