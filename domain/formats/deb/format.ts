import { poolPath } from '../../publish/apt-index';
import type { FormatRecipe, PackageFormat, RecipeResult } from '../format';
import { isDebResultName } from './built-package';
import { parseDebRecipe } from './recipe';
import { architectureMatches, relationAppliesTo } from './relations';
import { compareVersions } from './version';

// Debian as a Kiln format: a package is a directory holding debian/control and debian/changelog; binaries build
// with dpkg-buildpackage in the Debian builder image; `all` packages build once.

function parse(dir: string, files: Readonly<Record<string, string | undefined>>): RecipeResult {
  const changelog = files['debian/changelog'];
  if (changelog === undefined) return { ok: false, error: { code: 'RECIPE_INVALID', message: 'debian/changelog is missing' } };
  const parsed = parseDebRecipe({ dir, control: files['debian/control'] ?? '', changelog });
  if (!parsed.ok) return parsed;
  const r = parsed.recipe;
  const recipe: FormatRecipe = {
    source: r.source,
    version: r.version,
    binaries: r.binaries.map((b) => ({ name: b.name, architectures: [...b.architecture] })),
    // Arch-qualified Build-Depends (`foo [amd64]`) count only where they apply; Kiln builds with no build profile
    // active, so `<!nocheck>` relations count and `<stage1>` ones do not (as apt-get build-dep decides).
    buildDependsOn: (arch) => r.buildDepends.flatMap((alternatives) => alternatives.filter((rel) => relationAppliesTo(rel, arch)).map((rel) => rel.name)),
  };
  return { ok: true, recipe };
}

export const debFormat: PackageFormat = {
  id: 'deb',
  label: 'Debian (apt)',
  sourcePackages: true,
  recipeMarker: 'debian/control',
  recipeFiles: ['debian/control', 'debian/changelog'],
  // A debian/ inside a package's own sources is not a package.
  isPackageDir: (dir) => !dir.includes('/debian/'),
  parseRecipe: parse,
  compareVersions,
  versionHint: 'debian/changelog',
  archIndependent: 'all',
  buildsOn: (declared, arch) => declared.some((a) => a !== 'all' && architectureMatches(a, arch)),
  buildTool: 'dpkg-buildpackage',
  imageFamily: 'debian',
  buildEnvironment: (parallel) => ({ DEB_BUILD_OPTIONS: `parallel=${parallel}` }),
  isResultName: isDebResultName,
  isPackageFile: (name) => name.endsWith('.deb'),
  poolPath: (source, file) => poolPath(source, file),
  // dh_strip's automatic -dbgsym packages hold only debug symbols for their package, which is tested itself.
  installTested: (name) => !name.endsWith('-dbgsym'),
  installTarget: (name, version) => `${name}=${version}`,
};
