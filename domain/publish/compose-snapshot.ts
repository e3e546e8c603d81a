import { poolPath } from './apt-index';
import { isSourceArtifact } from '../build';
import type { SnapshotManifest, SnapshotSource } from './snapshot-manifest';

// Which packages a new snapshot holds, as pure code: the tree at the pushed commit decides. A source the push built
// takes its new artifacts (keeping the base's artifacts of arches it did not rebuild, at the same version); a source
// the plan found unchanged is carried over from the base; anything else (deleted from the tree) is gone.

export interface BuiltSource {
  source: string;
  version: string;
  treeHash: string;
  /** The arch the build ran on. */
  arch: string;
  key: string;
  artifacts: Array<{ file: string; sha256: string; size: number; package: string; version: string; architecture: string; stanza: string; contents?: string }>;
}

export interface ComposeInput {
  base?: Pick<SnapshotManifest, 'number' | 'sources'>;
  built: readonly BuiltSource[];
  unchanged: ReadonlyArray<{ source: string; version: string }>;
  /** Where a package file lives in the repository (the format's layout; Debian's pool when absent). */
  poolPath?: (source: string, file: string, architecture: string) => string;
}

export class ComposeError extends Error {
  constructor(readonly code: 'SNAPSHOT_BASE_CHANGED' | 'SNAPSHOT_CONFLICT', message: string) {
    super(message);
  }
}

export function composeSnapshot(input: ComposeInput): SnapshotSource[] {
  const base = new Map((input.base?.sources ?? []).map((s) => [s.source, s]));
  const result = new Map<string, SnapshotSource>();

  for (const u of input.unchanged) {
    const carried = base.get(u.source);
    if (!carried || carried.version !== u.version) {
      throw new ComposeError('SNAPSHOT_BASE_CHANGED', `${u.source} ${u.version} was planned as published, but snapshot ${input.base?.number ?? '(none)'} has ${carried ? carried.version : 'no such package'}: the repository changed since this push was planned; push again`);
    }
    result.set(u.source, carried);
  }

  const builtBySource = new Map<string, BuiltSource[]>();
  for (const b of input.built) builtBySource.set(b.source, [...(builtBySource.get(b.source) ?? []), b]);
  for (const [source, builds] of builtBySource) {
    if (result.has(source)) throw new ComposeError('SNAPSHOT_CONFLICT', `${source} is both unchanged and built by this push`);
    const versions = new Set(builds.map((b) => b.version));
    if (versions.size !== 1) throw new ComposeError('SNAPSHOT_CONFLICT', `${source} was built at several versions: ${[...versions].join(', ')}`);
    const [version] = versions;
    const rebuilt = new Set(builds.map((b) => b.arch));
    const previous = base.get(source);
    const kept = previous && previous.version === version ? previous : undefined;
    const artifacts = (kept?.artifacts ?? []).filter((a) => !rebuilt.has(a.builtOn));
    for (const b of builds) {
      for (const a of b.artifacts) {
        artifacts.push({ ...a, pool: (input.poolPath ?? poolPath)(source, a.file, a.architecture), builtOn: b.arch, key: b.key });
      }
    }
    const files = new Map<string, string>();
    for (const a of artifacts) {
      const other = files.get(a.pool);
      if (other && other !== a.sha256) throw new ComposeError('SNAPSHOT_CONFLICT', `${a.pool} would hold two different files`);
      files.set(a.pool, a.sha256);
    }
    result.set(source, {
      source,
      version,
      treeHash: builds[0].treeHash,
      arches: [...new Set([...(kept?.arches ?? []), ...rebuilt])].sort(),
      // The same file from two builds (none expected) is listed once.
      artifacts: artifacts.filter((a, i) => artifacts.findIndex((o) => o.pool === a.pool) === i)
        .sort((x, y) => x.pool.localeCompare(y.pool)),
    });
  }
  // A binary package belongs to one source of the snapshot. The plan refuses two sources declaring one name
  // (BINARY_DECLARED_TWICE); this also holds for pushes planned before that check, and for names a build makes
  // without declaring them (Debian's -dbgsym, pacman's -debug). Only sources of the new snapshot count: a name whose
  // owner left the tree (renamed, removed) was dropped with it above, and another source may take it.
  const owner = new Map<string, string>();
  for (const s of [...result.values()].sort((a, b) => a.source.localeCompare(b.source))) {
    for (const a of s.artifacts) {
      if (isSourceArtifact(a)) continue; // a source's own files are named after it, not after a binary package
      const other = owner.get(a.package);
      if (other !== undefined && other !== s.source) {
        throw new ComposeError('SNAPSHOT_CONFLICT', `binary package ${a.package} would be published by both ${other} and ${s.source}`);
      }
      owner.set(a.package, s.source);
    }
  }
  return [...result.values()].sort((a, b) => a.source.localeCompare(b.source));
}
