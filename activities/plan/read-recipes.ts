import type { PackageFormat } from '../../domain/formats/format';
import type { PlanRecipe } from '../../domain/plan/plan-builds';
import { escapingSymlink, recipeFileSizeProblem, recipeSizeProblem, RECIPE_FILE_MAX_BYTES, SYMLINK_TARGET_MAX_BYTES } from '../../domain/plan/recipe-limits';
import type { PlanError } from '../../domain/push';
import type { TreeListing, TreeMirror } from '../git/mirror';

const SYMLINK = '120000';

/**
 * Every package directory at a commit (a directory holding the format's recipe marker), read and parsed. A recipe that cannot
 * be read becomes a PlanError for that package; it never stops the others. Sizes are checked before anything is
 * read or exported (domain/plan/recipe-limits.ts): RECIPE_TOO_LARGE; a symlink leaving the package: RECIPE_INVALID.
 */
export async function readRecipes(
  mirror: TreeMirror, format: PackageFormat, commit: string, arches: readonly string[],
): Promise<{ recipes: PlanRecipe[]; invalid: PlanError[] }> {
  const listing = await mirror.list(commit);
  const marker = `/${format.recipeMarker}`;
  const dirs = [...listing.files]
    .filter((f) => f.endsWith(marker))
    .map((f) => f.slice(0, -marker.length))
    .filter((d) => format.isPackageDir(d))
    .sort();
  const contents = packageContents(listing, new Set(dirs));
  // One `git cat-file --batch` for every recipe file of the tree and every small symlink target: the listing already
  // gave each blob's ID and size, so nothing over its limit is read, and a tree of thousands of packages costs one
  // process, not two per file.
  const recipeBlobs = new Map(dirs.map((dir) => [dir, format.recipeFiles.map((file) => ({ file, blob: listing.blobs.get(`${dir}/${file}`) }))]));
  const blobs = await mirror.readBlobs([...new Set([
    ...[...recipeBlobs.values()].flatMap((list) => list.flatMap(({ blob }) => (blob && blob.size <= RECIPE_FILE_MAX_BYTES ? [blob.object] : []))),
    ...[...contents.values()].flatMap((c) => c.symlinks.filter((l) => l.size <= SYMLINK_TARGET_MAX_BYTES).map((l) => l.object)),
  ])]);
  const recipes: PlanRecipe[] = [];
  const invalid: PlanError[] = [];
  for (const dir of dirs) {
    const treeHash = listing.trees.get(dir)!;
    const files: Record<string, string | undefined> = {};
    const tooLargeFile = recipeBlobs.get(dir)!.map(({ file, blob }) => blob && recipeFileSizeProblem(file, blob.size)).find(Boolean);
    if (tooLargeFile) {
      invalid.push({ dir, code: 'RECIPE_TOO_LARGE', message: `${dir}: ${tooLargeFile}` });
      continue;
    }
    for (const { file, blob } of recipeBlobs.get(dir)!) files[file] = blob === undefined ? undefined : blobs.get(blob.object);
    const parsed = format.parseRecipe(dir, files);
    if (!parsed.ok) {
      invalid.push({ dir, code: parsed.error.code, message: `${dir}: ${parsed.error.message}` });
      continue;
    }
    const r = parsed.recipe;
    const content = contents.get(dir)!;
    const tooLarge = recipeSizeProblem(content.files, content.bytes);
    if (tooLarge !== undefined) {
      invalid.push({ dir, source: r.source, code: 'RECIPE_TOO_LARGE', message: `${dir}: ${tooLarge}` });
      continue;
    }
    const escaping = content.duplicate !== undefined
      ? `${content.duplicate} is listed twice in the git tree (a hand-made tree object): not exported`
      : symlinkProblem(content.symlinks, blobs);
    if (escaping !== undefined) {
      invalid.push({ dir, source: r.source, code: 'RECIPE_INVALID', message: `${dir}: ${escaping}` });
      continue;
    }
    recipes.push({
      dir,
      treeHash,
      source: r.source,
      version: r.version,
      binaries: r.binaries,
      buildDepends: Object.fromEntries(arches.map((arch) => [arch, r.buildDependsOn(arch)])),
    });
  }
  return { recipes, invalid };
}

interface PackageContent {
  files: number;
  bytes: number;
  /** Paths relative to the package directory. */
  symlinks: Array<{ path: string; object: string; size: number }>;
  /** A path the listing holds twice, if any. */
  duplicate?: string;
}

/** What each package directory holds, from the listing: one pass over the blobs, each charged to its package. */
function packageContents(listing: TreeListing, dirs: ReadonlySet<string>): Map<string, PackageContent> {
  const contents = new Map<string, PackageContent>([...dirs].map((d) => [d, { files: 0, bytes: 0, symlinks: [] }]));
  for (const [file, blob] of listing.blobs) {
    // Every package directory the file is under (packages nest rarely, but each exports its whole tree).
    for (let slash = file.lastIndexOf('/'); slash > 0; slash = file.lastIndexOf('/', slash - 1)) {
      const content = contents.get(file.slice(0, slash));
      if (!content) continue;
      content.files++;
      content.bytes += blob.size;
      if (blob.mode === SYMLINK) content.symlinks.push({ path: file.slice(slash + 1), object: blob.object, size: blob.size });
    }
  }
  for (const file of listing.duplicates) {
    for (const [dir, content] of contents) if (file.startsWith(`${dir}/`)) content.duplicate ??= file.slice(dir.length + 1);
  }
  return contents;
}

function symlinkProblem(symlinks: PackageContent['symlinks'], targets: ReadonlyMap<string, string>): string | undefined {
  const links = new Map<string, string>();
  for (const link of symlinks) {
    const target = targets.get(link.object);
    if (link.size > SYMLINK_TARGET_MAX_BYTES || target === undefined) return `the symlink ${link.path} has no usable target`;
    links.set(link.path, target);
  }
  const escaping = escapingSymlink(links);
  return escaping === undefined ? undefined : `the symlink ${escaping} (-> ${links.get(escaping)}) points outside the package directory`;
}
