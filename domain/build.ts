// What one build is, and how it is named. Pure: workflows import these types.

/** `-B` arch-dependent only, `-A` arch-independent only, `-b` both (see the plan: `all` builds on the first arch). */
export type BinaryScope = 'any' | 'all' | 'both';

export interface BuildSpec {
  tree: string;
  suite: string;
  source: string;
  version: string;
  arch: string;
  scope: BinaryScope;
  /** Git tree hash of the package directory at the pushed commit: the recipe's identity. */
  treeHash: string;
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
