import * as path from 'node:path';

// What Kiln reads of a ports tree is the pusher's to choose: every read is bounded, and a recipe over a bound is a
// plan error for that package (RECIPE_TOO_LARGE), never a plan that fails and retries forever. The sizes come from
// git (`git cat-file -s`, `git ls-tree -r -l`) before any content is read or exported. docs/ERRORS.md lists them.

/** Each recipe file Kiln parses on the host (`debian/control`, `debian/changelog`): real ones are a few KiB. */
export const RECIPE_FILE_MAX_BYTES = 1024 * 1024;

/** A package directory's total size as exported for the build (the sum of its blobs): sources included. */
export const RECIPE_MAX_BYTES = 256 * 1024 * 1024;

/** Files (and symlinks) in a package directory: the export and the build container's read-only mount. */
export const RECIPE_MAX_FILES = 20_000;

/** A symlink's target is a path: longer than this is not one a recipe needs. */
export const SYMLINK_TARGET_MAX_BYTES = 4096;

/** The size check of a package directory, from its blobs' sizes: the error message, or undefined when it fits. */
/** A recipe file Kiln parses (debian/control, a changelog, a PKGBUILD) over its limit: its content is never read. */
export function recipeFileSizeProblem(file: string, size: number): string | undefined {
  return size > RECIPE_FILE_MAX_BYTES ? `${file} is ${size} bytes; at most ${RECIPE_FILE_MAX_BYTES} are read` : undefined;
}

export function recipeSizeProblem(files: number, bytes: number): string | undefined {
  if (files > RECIPE_MAX_FILES) return `the package directory holds ${files} files; at most ${RECIPE_MAX_FILES} are exported`;
  if (bytes > RECIPE_MAX_BYTES) {
    return `the package directory holds ${bytes} bytes; at most ${RECIPE_MAX_BYTES} (${RECIPE_MAX_BYTES / 1024 / 1024} MiB) are exported`;
  }
  return undefined;
}

/**
 * Whether every symlink of a package directory, followed the way the kernel would (through other symlinks of the
 * directory, `..` after resolving them), stays inside it: the first one that does not, or undefined. `links` maps
 * each symlink's path (relative to the package directory, `/`-separated) to its target. A dangling link inside is
 * fine; an absolute target never is.
 */
export function escapingSymlink(links: ReadonlyMap<string, string>): string | undefined {
  for (const [link, target] of links) {
    if (!staysInside(links, path.posix.dirname(link), target)) return link;
  }
  return undefined;
}

const MAX_HOPS = 40; // the kernel's own limit (ELOOP)

function staysInside(links: ReadonlyMap<string, string>, dir: string, target: string): boolean {
  if (path.posix.isAbsolute(target)) return false;
  const resolved: string[] = []; // real directories only: `..` pops them safely
  const pending = [...split(dir), ...split(target)];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) return false;
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, part].join('/');
    const next = links.get(candidate);
    if (next === undefined) {
      resolved.push(part);
      continue;
    }
    if (++hops > MAX_HOPS || path.posix.isAbsolute(next)) return false;
    pending.unshift(...split(next));
  }
  return true;
}

function split(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}
