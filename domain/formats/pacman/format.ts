import type { FormatRecipe, PackageFormat, RecipeResult } from '../format';
import { RESULT_FILE_NAME } from '../result-rejected';
import { dependsFor, makedependsFor, checkdependsFor, parseSrcinfo } from './srcinfo';
import { vercmp } from './version';

// Arch Linux as a Kiln format: a package base is a directory holding PKGBUILD and .SRCINFO (as the AUR keeps them).
// The plan reads .SRCINFO as text and never runs a PKGBUILD on the host; the build checks inside its container that
// `makepkg --printsrcinfo` agrees. `arch=(any)` packages build once, like Debian's `all`.

const PACKAGE_FILE = /\.pkg\.tar\.zst$/;

function parse(_dir: string, files: Readonly<Record<string, string | undefined>>): RecipeResult {
  const text = files['.SRCINFO'];
  if (text === undefined) return { ok: false, error: { code: 'RECIPE_INVALID', message: '.SRCINFO is missing' } };
  const parsed = parseSrcinfo(text);
  if (!parsed.ok) return { ok: false, error: { code: parsed.error.code, message: `.SRCINFO: ${parsed.error.message}` } };
  const r = parsed.recipe;
  const recipe: FormatRecipe = {
    source: r.pkgbase,
    version: r.version,
    binaries: r.packages.map((p) => ({ name: p.name, architectures: [...p.arch] })),
    // What makepkg installs before building: makedepends, checkdepends and every package's depends, for the arch.
    buildDependsOn: (arch) => [...new Set([
      ...makedependsFor(r, arch), ...checkdependsFor(r, arch), ...r.packages.flatMap((p) => dependsFor(p, arch)),
    ].map((d) => d.name))],
  };
  return { ok: true, recipe };
}

export const pacmanFormat: PackageFormat = {
  id: 'pacman',
  label: 'Arch Linux (pacman)',
  sourcePackages: false,
  recipeMarker: '.SRCINFO',
  recipeFiles: ['.SRCINFO'],
  isPackageDir: () => true,
  parseRecipe: parse,
  compareVersions: vercmp,
  versionHint: 'pkgver, pkgrel or epoch in the PKGBUILD, then `makepkg --printsrcinfo > .SRCINFO`',
  archIndependent: 'any',
  buildsOn: (declared, arch) => declared.includes(arch),
  buildTool: 'makepkg',
  imageFamily: 'pacman',
  buildEnvironment: (parallel) => ({ MAKEFLAGS: `-j${parallel}` }),
  isResultName: (name) => RESULT_FILE_NAME.test(name) && PACKAGE_FILE.test(name),
  isPackageFile: (name) => PACKAGE_FILE.test(name),
  // `<arch>/<file>`: arch-independent packages under any/, linked into every arch's folder by the index writer.
  poolPath: (_source, file, architecture) => `${architecture}/${file}`,
  // makepkg's `debug` option splits <name>-debug packages of debug symbols off, tested with their package.
  installTested: (name) => !name.endsWith('-debug'),
  // pacman -S takes names; the WIP lanes hold one version of each (the published lane leaves out what the push builds).
  installTarget: (name) => name,
};
