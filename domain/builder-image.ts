import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatOf } from './formats/registry';
import type { FormatId } from './formats/format';
import { PROJECT_ROOT } from './project-paths';

// Builder images are tagged by a hash of their recipe (scripts/setup.sh computes the same hash): a changed recipe
// means a new tag, and builds keyed by image tag are redone with it. One recipe per format family, images/<family>/.
const RECIPE_FILES: Readonly<Record<string, readonly string[]>> = {
  debian: ['images/debian/build-image.sh', 'images/debian/packages.txt', 'images/debian/kiln-build', 'images/debian/kiln-install-test', 'images/common/kiln-run-test'],
  pacman: ['images/pacman/build-image.sh', 'images/pacman/packages.txt', 'images/pacman/kiln-build', 'images/pacman/kiln-install-test', 'images/common/kiln-run-test'],
};

const cachedHash = new Map<string, string>();

export function builderRecipeHash(root = PROJECT_ROOT, family = 'debian'): string {
  const cacheKey = `${root}\0${family}`;
  const cached = cachedHash.get(cacheKey);
  if (cached) return cached;
  const files = RECIPE_FILES[family];
  if (!files) throw new Error(`no builder image recipe for ${family}`);
  const hash = crypto.createHash('sha256');
  for (const file of files) hash.update(fs.readFileSync(path.join(root, file)));
  const digest = hash.digest('hex').slice(0, 12);
  if (root === PROJECT_ROOT) cachedHash.set(cacheKey, digest);
  return digest;
}

/** The tag of a format's builder image: Debian's keep the form they always had; other families are prefixed. */
export function builderImageTag(suite: string, arch: string, root = PROJECT_ROOT, format?: FormatId): string {
  const family = formatOf(format).imageFamily;
  const prefix = family === 'debian' ? '' : `${family}-`;
  return `kiln-builder:${prefix}${suite}-${arch}-${builderRecipeHash(root, family)}`;
}
