import type { FormatId } from '../formats/format';
import type { PublishedSource } from '../plan/plan-builds';

// What a snapshot holds, written beside its dists/ as kiln-manifest.json: planning reads it (what is published),
// the next publish carries its unchanged packages over, rollback republishes it. Index entries travel with it, so no
// package is ever read again once built.

export interface SnapshotArtifact {
  /** Binary package file name, e.g. `hello_1.0-1_amd64.deb`. */
  file: string;
  /** Path inside the repository, e.g. `pool/main/h/hello/hello_1.0-1_amd64.deb`. */
  pool: string;
  sha256: string;
  size: number;
  package: string;
  version: string;
  /** The binary package's Architecture: an arch or `all`. */
  architecture: string;
  /** The arch it was built on (arch-all packages build on the tree's first arch). */
  builtOn: string;
  /** The build key that made it. */
  key: string;
  /** The format's index entry without location (Debian: Packages stanza without Filename), computed when built. */
  stanza: string;
  /** The files list of the package (pacman's files database), when the format has one. */
  contents?: string;
}

export interface SnapshotSource extends PublishedSource {
  artifacts: SnapshotArtifact[];
}

export interface SnapshotManifest {
  tree: string;
  /** The tree's format; absent for Debian (and snapshots of before formats). */
  format?: FormatId;
  branch: string;
  suite: string;
  number: number;
  commit: string;
  /** The push (or rollback) workflow this snapshot was published for. */
  publishedFor: string;
  /** The snapshot that was current when this one was made (undefined for the first). */
  base?: number;
  /** Set for a rollback: the snapshot whose content this one republishes. */
  rollbackOf?: number;
  createdAt: string;
  sources: SnapshotSource[];
  /** Index files by SHA256, as listed in Release: kept in the next snapshot's by-hash too. */
  indexes: Array<{ path: string; sha256: string; size: number }>;
  /** Index files (relative to the Release's folder) signed detached besides the Release: pacman's databases. */
  databases?: string[];
}

/** Snapshot directory names: zero-padded so that a listing sorts in publish order. */
export function snapshotDirName(number: number): string {
  return String(number).padStart(6, '0');
}

export function parseSnapshotDirName(name: string): number | undefined {
  return /^\d{6,}$/.test(name) ? Number(name) : undefined;
}
