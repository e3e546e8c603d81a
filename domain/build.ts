// What one build is, and how it is named. Pure: workflows import these types.
import type { FormatId } from './formats/format';

/**
 * Which part of a recipe a build makes: `any` its arch-specific packages, `all` its arch-independent ones (Debian's
 * `all`, pacman's `any`: built once, on the tree's first arch), `both` both.
 */
export type BinaryScope = 'any' | 'all' | 'both';

export interface BuildSpec {
  tree: string;
  /** The tree's package format (Debian when absent: requests and records of before formats). */
  format?: FormatId;
  suite: string;
  source: string;
  version: string;
  arch: string;
  scope: BinaryScope;
  /** Git tree hash of the package directory at the pushed commit: the recipe's identity. */
  treeHash: string;
  /** The build also makes the source package (one build per source does). */
  withSource?: boolean;
}

/** The `architecture` of a source package's files among a build's artifacts (they go to Sources, not Packages). */
export const SOURCE_ARCHITECTURE = 'source';

export function isSourceArtifact(a: { architecture: string }): boolean {
  return a.architecture === SOURCE_ARCHITECTURE;
}

/** A binary package the recipe declares: the only names a build of it may produce. */
export interface DeclaredBinary {
  name: string;
  /** `Architecture: all` (built once, on the first arch) rather than arch-specific. */
  all: boolean;
}

/** A built binary package, as a workflow sees it: names and digests, never contents. */
export interface BuiltArtifact {
  file: string;
  sha256: string;
  size: number;
  package: string;
  version: string;
  architecture: string;
}

export interface BuildOutcome {
  key: string;
  artifacts: BuiltArtifact[];
  /** true when the key was already built (by this push, an earlier attempt, or another push). */
  cached: boolean;
  durationMs: number;
}
