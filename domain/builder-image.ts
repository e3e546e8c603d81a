import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from './project-paths';

// Builder images are tagged by a hash of their recipe (scripts/setup.sh computes the same hash): a changed recipe
// means a new tag, and builds keyed by image tag are redone with it.
const RECIPE_FILES = ['images/debian/build-image.sh', 'images/debian/packages.txt', 'images/debian/kiln-build'];

let cachedHash: string | undefined;

export function builderRecipeHash(root = PROJECT_ROOT): string {
  if (cachedHash && root === PROJECT_ROOT) return cachedHash;
  const hash = crypto.createHash('sha256');
  for (const file of RECIPE_FILES) hash.update(fs.readFileSync(path.join(root, file)));
  const digest = hash.digest('hex').slice(0, 12);
  if (root === PROJECT_ROOT) cachedHash = digest;
  return digest;
}

export function builderImageTag(suite: string, arch: string, root = PROJECT_ROOT): string {
  return `kiln-builder:${suite}-${arch}-${builderRecipeHash(root)}`;
}
