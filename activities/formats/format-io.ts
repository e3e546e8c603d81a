import type { DeclaredBinary, BinaryScope } from '../../domain/build';
import type { InstallTestPlan } from '../../domain/install-test';
import type { IndexFile } from '../../domain/publish/apt-index';
import type { SnapshotManifest, SnapshotSource } from '../../domain/publish/snapshot-manifest';

// The I/O half of a package format: what the host reads from a built package and what it writes as a repository
// index. Everything read here comes from a hostile build; an implementation validates before it returns.

/** One built package, read once when it was built: the index never opens the package again. */
export interface BuiltPackageEntry {
  package: string;
  version: string;
  /** The package's own architecture: an arch, or the format's arch-independent name. */
  architecture: string;
  /** The format's index entry without its location (Debian: Packages stanza; pacman: the `desc` text). */
  stanza: string;
  /** The files the package installs (pacman's files database); absent where the format's index has none. */
  contents?: string;
}

export interface BuiltPackageExpectation {
  arch: string;
  scope: BinaryScope;
  version: string;
  binaries?: readonly DeclaredBinary[];
}

/** A package of one WIP lane, as its index lists it. */
export interface LanePackage {
  file: string;
  package: string;
  version: string;
  stanza: string;
  contents?: string;
}

export interface WipLaneContext {
  /** Names the lane's index, e.g. in the Release label. */
  label: string;
  lane: string;
  /** Clear-sign a text with the push's WIP key (formats whose WIP index is signed). */
  clearsign(text: string): Promise<string>;
}

export interface SnapshotIndexInput {
  /** The staging dir; the packages are already linked at their pool paths. */
  staging: string;
  tree: string;
  suite: string;
  arches: readonly string[];
  sources: readonly SnapshotSource[];
  /** The snapshot current now, if any: a format may keep its indexes reachable (apt's by-hash). */
  base?: { dir: string; manifest: SnapshotManifest };
  /** A folder of the branch, never served, the format may keep between snapshots (apt: compressed index chunks). */
  cacheDir: string;
}

/**
 * How a snapshot is mirrored (rsync targets): everything but the indexes first, then the indexes (with their Release
 * and signatures) switched together, then deletions; so a mirror never serves an index naming a file it lacks.
 */
export interface MirrorLayout {
  /** A file or folder every snapshot of the format has at its top: no marker, no repository. */
  marker: string;
  /** rsync filter patterns, anchored at the snapshot's top, of the index files. */
  indexes: readonly string[];
}

/** A published snapshot's index: written unsigned, listed in a Release that the signer signs. */
export interface SnapshotIndex {
  /** The folder (relative to the snapshot) that holds the Release and its signatures: `dists/<suite>`, `.`. */
  releaseDir(suite: string): string;
  /** What a mirror of a snapshot must switch last, at once: see MirrorLayout. */
  readonly mirrorLayout: MirrorLayout;
  /**
   * The top folder holding every package file (apt: `pool`), when the branch keeps one such folder for all its
   * snapshots (`repos/<tree>/<branch>/<folder>`, each snapshot's `<folder>` a link to it): a publish then links only
   * the files its base snapshot does not have. Absent: every snapshot holds its own links (pacman's arch folders,
   * where packages and databases share a folder).
   */
  readonly sharedPool?: string;
  /** Write the indexes; returns the files the Release lists (paths relative to releaseDir). */
  write(input: SnapshotIndexInput): Promise<{ releaseDir: string; files: IndexFile[]; databases?: string[] }>;
}

export interface InstallTestContext {
  /** The source's binary packages for this architecture (what autopkgtest's `@` stands for). */
  binaries: readonly string[];
}

export interface FormatIO {
  /** Read and validate a built package file; throws ResultRejected for anything a build may not hand back. */
  readBuiltPackage(file: string): Promise<BuiltPackageEntry>;
  /** Is this the package the recipe declares, of the planned version and arch, under its canonical file name? */
  checkBuiltPackage(name: string, entry: BuiltPackageEntry, expected: BuiltPackageExpectation): void;
  /** Write a WIP lane's index over the package files already linked into `dir` (replacing the previous index). */
  writeWipIndex(dir: string, packages: readonly LanePackage[], context: WipLaneContext): Promise<void>;
  snapshotIndex: SnapshotIndex;
  /** The recipe's own tests (read from its export, links not followed); throws RECIPE_INVALID for a malformed one. */
  installTestPlan(recipeDir: string, context: InstallTestContext): Promise<InstallTestPlan>;
  /**
   * Formats with source packages: check the source files among a build's results (`sourceFiles`, by name) and give
   * each its entry (architecture `source`; the Sources stanza on the .dsc's). Throws ResultRejected.
   */
  readSourcePackage?(sourceFiles: ReadonlyArray<{ name: string; file: string }>, expected: { source: string; version: string }): Promise<Map<string, BuiltPackageEntry>>;
}
