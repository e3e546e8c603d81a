import * as fs from 'node:fs';
import * as path from 'node:path';
import { BranchRepo, MANIFEST } from '../../activities/publish/branch-repo';
import { DataLayout } from '../../domain/data-layout';
import type { SnapshotManifest } from '../../domain/publish/snapshot-manifest';

// A branch's published snapshots, read from their manifests (repos/<tree>/<branch>/snapshots/<n>/kiln-manifest.json).
// Complete snapshots never change, so their summaries are kept once read.

export interface SnapshotSummary {
  number: number;
  commit: string;
  createdAt: string;
  suite: string;
  /** The push (or rollback) workflow it was published for. */
  publishedFor: string;
  /** The snapshot that was current when this one was made. */
  base?: number;
  /** For a rollback: the snapshot whose content this one republishes. */
  rollbackOf?: number;
  /** `current` points at it: what apt gets now. */
  current: boolean;
  sources: number;
}

export interface SnapshotBinary {
  package: string;
  version: string;
  architecture: string;
  source: string;
  file: string;
  size: number;
  sha256: string;
}

export interface SnapshotDetail extends SnapshotSummary {
  arches: string[];
  packages: Array<{ source: string; version: string; arches: string[] }>;
  /** What each arch's Packages index holds (`Architecture: all` packages under every arch). */
  binaries: Record<string, SnapshotBinary[]>;
}

export interface SourceChange {
  source: string;
  from: string;
  to: string;
}

export interface SnapshotDiff {
  from: number;
  to: number;
  added: Array<{ source: string; version: string }>;
  removed: Array<{ source: string; version: string }>;
  /** A new version, or the same version built again for some arch (`rebuilt`). */
  changed: Array<SourceChange & { rebuilt?: boolean }>;
}

type Summary = Omit<SnapshotSummary, 'current'>;

export class Snapshots {
  private readonly summaries = new Map<string, Summary>();

  constructor(private readonly layout: DataLayout) {}

  /** Complete snapshots, newest first. */
  async list(tree: string, branch: string): Promise<SnapshotSummary[]> {
    const repo = new BranchRepo(this.layout, tree, branch);
    const current = repo.currentNumber();
    const out: SnapshotSummary[] = [];
    for (const number of repo.snapshots().reverse()) {
      const summary = await this.summary(repo, number);
      if (summary) out.push({ ...summary, current: number === current });
    }
    return out;
  }

  /** The snapshot `current` points at, or undefined before the first publish. */
  async current(tree: string, branch: string): Promise<SnapshotSummary | undefined> {
    const repo = new BranchRepo(this.layout, tree, branch);
    const number = repo.currentNumber();
    if (number === undefined) return undefined;
    const summary = await this.summary(repo, number);
    return summary && { ...summary, current: true };
  }

  /** SNAPSHOT_UNKNOWN (404) when the branch has no such snapshot (never made, or pruned). */
  async manifest(tree: string, branch: string, number: number): Promise<SnapshotManifest> {
    return new BranchRepo(this.layout, tree, branch).manifest(number);
  }

  async detail(tree: string, branch: string, number: number): Promise<SnapshotDetail> {
    const repo = new BranchRepo(this.layout, tree, branch);
    const manifest = await repo.manifest(number);
    const arches = [...new Set(manifest.indexes.map((i) => /(?:^|\/)binary-([^/]+)\//.exec(i.path)?.[1]).filter((a): a is string => !!a))].sort();
    const binaries: Record<string, SnapshotBinary[]> = Object.fromEntries(arches.map((a) => [a, []]));
    for (const s of manifest.sources) {
      for (const a of s.artifacts) {
        for (const arch of a.architecture === 'all' ? arches : [a.architecture]) {
          binaries[arch]?.push({ package: a.package, version: a.version, architecture: a.architecture, source: s.source, file: a.file, size: a.size, sha256: a.sha256 });
        }
      }
    }
    for (const list of Object.values(binaries)) list.sort((x, y) => x.package.localeCompare(y.package) || x.version.localeCompare(y.version));
    return {
      ...summaryOf(manifest),
      current: repo.currentNumber() === number,
      arches,
      packages: manifest.sources.map((s) => ({ source: s.source, version: s.version, arches: [...s.arches] }))
        .sort((x, y) => x.source.localeCompare(y.source)),
      binaries,
    };
  }

  /** What changed from snapshot `from` to snapshot `to`, by source package. */
  async diff(tree: string, branch: string, from: number, to: number): Promise<SnapshotDiff> {
    const repo = new BranchRepo(this.layout, tree, branch);
    const [a, b] = [await repo.manifest(from), await repo.manifest(to)];
    const before = new Map(a.sources.map((s) => [s.source, s]));
    const after = new Map(b.sources.map((s) => [s.source, s]));
    const diff: SnapshotDiff = { from, to, added: [], removed: [], changed: [] };
    for (const [source, s] of after) {
      const old = before.get(source);
      if (!old) diff.added.push({ source, version: s.version });
      else if (old.version !== s.version) diff.changed.push({ source, from: old.version, to: s.version });
      else if (artifactSet(old) !== artifactSet(s)) diff.changed.push({ source, from: old.version, to: s.version, rebuilt: true });
    }
    for (const [source, s] of before) if (!after.has(source)) diff.removed.push({ source, version: s.version });
    for (const list of [diff.added, diff.removed, diff.changed]) list.sort((x, y) => x.source.localeCompare(y.source));
    return diff;
  }

  private async summary(repo: BranchRepo, number: number): Promise<Summary | undefined> {
    const file = path.join(repo.snapshotDir(number), MANIFEST);
    const cached = this.summaries.get(file);
    if (cached) return cached;
    try {
      const summary = summaryOf(JSON.parse(await fs.promises.readFile(file, 'utf8')) as SnapshotManifest);
      this.summaries.set(file, summary);
      return summary;
    } catch (err) {
      // Pruned between the listing and the read.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

function summaryOf(m: SnapshotManifest): Summary {
  return {
    number: m.number, commit: m.commit, createdAt: m.createdAt, suite: m.suite, publishedFor: m.publishedFor,
    base: m.base, rollbackOf: m.rollbackOf, sources: m.sources.length,
  };
}

function artifactSet(s: SnapshotManifest['sources'][number]): string {
  return s.artifacts.map((a) => `${a.pool}:${a.sha256}`).sort().join('\n');
}
