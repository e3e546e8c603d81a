import type { ErrorCode } from '../errors';

// What a package format is to Kiln, as pure code: how a tree holds its recipes, how a recipe reads, how versions
// order, which architectures a declared package builds on, and how built files are named. Plan, builder, WIP
// repository and publishing ask the tree's format; nothing outside formats/<id>/ knows Debian or pacman specifics.
// The I/O halves (reading a built package, writing an index) live in activities/formats/<id>/.

export type FormatId = 'deb' | 'pacman';

/** A recipe as the plan sees it, the same for every format. */
export interface FormatRecipe {
  source: string;
  version: string;
  /** Each binary package the recipe makes, with the architectures it declares (in the format's names). */
  binaries: Array<{ name: string; architectures: string[] }>;
  /** Package names the build needs on each architecture, alternatives included. */
  buildDependsOn(arch: string): string[];
}

export type RecipeResult =
  | { ok: true; recipe: FormatRecipe }
  | { ok: false; error: { code: ErrorCode; message: string } };

export interface PackageFormat {
  readonly id: FormatId;
  /** For people: "Debian (apt)", "Arch Linux (pacman)". */
  readonly label: string;
  /** Builds also hand back the source package (Debian's .dsc and tarball), published with a source index. */
  readonly sourcePackages: boolean;
  /** The file whose presence makes a directory a package: `debian/control`, `.SRCINFO`. */
  readonly recipeMarker: string;
  /** Files read from a package directory to plan it (relative to it; absent ones are passed as undefined). */
  readonly recipeFiles: readonly string[];
  /** Is this directory (holding recipeMarker) a package, or part of another package's sources? */
  isPackageDir(dir: string): boolean;
  parseRecipe(dir: string, files: Readonly<Record<string, string | undefined>>): RecipeResult;
  /** Version order: negative, zero or positive, as the format's own tools compare. */
  compareVersions(a: string, b: string): number;
  /** Where a recipe's version is raised, for the "changed but not bumped" error. */
  readonly versionHint: string;
  /** The architecture name of arch-independent packages: Debian's `all`, pacman's `any`. */
  readonly archIndependent: string;
  /** Does a binary package declared for these architectures build on `arch` (arch-specific, not independent)? */
  buildsOn(declared: readonly string[], arch: string): boolean;
  /** The program a build runs (`dpkg-buildpackage`, `makepkg`): the builder probe asks its version. */
  readonly buildTool: string;
  /** The builder image family: images/<family>/ holds its recipe. */
  readonly imageFamily: string;
  /** Environment of both build phases, for a build given this many CPUs. */
  buildEnvironment(parallel: number): Record<string, string>;
  /** Names a build of this format may leave in its results folder (checked before anything is read). */
  isResultName(name: string): boolean;
  /** Of those, the package files (indexed and published); the rest are kept as build records only. */
  isPackageFile(name: string): boolean;
  /** Where a package file lives in a published snapshot, relative to it. */
  poolPath(source: string, file: string, architecture: string): string;
  /** Is a built package of this name install-tested (debug symbol packages are not)? */
  installTested(packageName: string): boolean;
  /** How the install test names the package to its package manager: exactly this version where it can say so. */
  installTarget(packageName: string, version: string): string;
}

/** Is this binary package arch-independent (built once, on the tree's first architecture)? */
export function isArchIndependent(format: PackageFormat, declared: readonly string[]): boolean {
  return declared.includes(format.archIndependent);
}

/** A WIP lane: the architecture's own, or the one lane of arch-independent packages. */
export function laneOf(format: PackageFormat, architecture: string): string {
  return architecture === format.archIndependent ? format.archIndependent : architecture;
}
