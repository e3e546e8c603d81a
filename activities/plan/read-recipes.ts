import type { PackageFormat } from '../../domain/config';
import { parseDebRecipe } from '../../domain/formats/deb/recipe';
import type { PlanRecipe } from '../../domain/plan/plan-builds';
import type { PlanError } from '../../domain/push';
import type { TreeMirror } from '../git/mirror';

/**
 * Every package directory at a commit (a directory holding debian/control), read and parsed. A recipe that cannot
 * be read becomes a PlanError for that package; it never stops the others.
 */
export async function readRecipes(mirror: TreeMirror, format: PackageFormat, commit: string): Promise<{ recipes: PlanRecipe[]; invalid: PlanError[] }> {
  if (format !== 'deb') throw new Error(`format ${format} has no recipe reader`);
  const listing = await mirror.list(commit);
  const dirs = [...listing.files]
    .filter((f) => f.endsWith('/debian/control'))
    .map((f) => f.slice(0, -'/debian/control'.length))
    .filter((d) => !d.includes('/debian/')) // a debian/ inside a package's own sources is not a package
    .sort();
  const recipes: PlanRecipe[] = [];
  const invalid: PlanError[] = [];
  for (const dir of dirs) {
    const treeHash = listing.trees.get(dir)!;
    const control = await mirror.readFile(treeHash, 'debian/control');
    const changelog = await mirror.readFile(treeHash, 'debian/changelog');
    if (changelog === undefined) {
      invalid.push({ dir, code: 'RECIPE_INVALID', message: `${dir}: debian/changelog is missing` });
      continue;
    }
    const parsed = parseDebRecipe({ dir, control: control ?? '', changelog });
    if (!parsed.ok) {
      invalid.push({ dir, code: parsed.error.code, message: `${dir}: ${parsed.error.message}` });
      continue;
    }
    const r = parsed.recipe;
    recipes.push({
      dir,
      treeHash,
      source: r.source,
      version: r.version,
      binaries: r.binaries.map((b) => ({ name: b.name, architectures: [...b.architecture] })),
      buildDepends: r.buildDepends.flatMap((alternatives) => alternatives.map((rel) => rel.name)),
    });
  }
  return { recipes, invalid };
}
