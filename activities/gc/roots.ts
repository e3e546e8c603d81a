import * as path from 'node:path';
import { readJsonIfExists } from '../../domain/atomic-file';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import type { Plan } from '../../domain/push';
import { parseSnapshotDirName, type SnapshotManifest } from '../../domain/publish/snapshot-manifest';
import { MANIFEST } from '../publish/branch-repo';
import { entries } from './disk-usage';

// What garbage collection must keep, whatever its age: everything a kept snapshot holds and everything a running
// push may still need. The rest is kept or not by age alone (collect.ts).

export interface RunningPush {
  push: PushRef;
  /** When its workflow started: anything made or used since is kept (see collect.ts). */
  startedAt: Date;
}

export interface Roots {
  /** Store digests a kept snapshot links (pool files). */
  digests: Set<string>;
  /**
   * Per branch folder (repos/<tree>/<branch>): the pool paths its kept and staging snapshots list; absent for a
   * branch with a complete snapshot whose manifest is missing (its shared pool is then left alone).
   */
  poolPaths: Map<string, Set<string>>;
  /** Build keys whose records must stay. */
  keys: Set<string>;
  /** `<tree> <source> <version> <arch> <treeHash>` of builds a running push planned (their keys are computed later). */
  specs: Set<string>;
  /** Push dirs (DataLayout.pushDir) whose records, logs and WIP repository stay. */
  pushes: Set<string>;
  /** `<tree>/<treeHash>` of recipe exports a running push planned. */
  recipes: Set<string>;
  keptSnapshots: number;
}

export function specId(tree: string, b: { source: string; version: string; arch: string; treeHash: string }): string {
  return [tree, b.source, b.version, b.arch, b.treeHash].join(' ');
}

export async function findRoots(layout: DataLayout, running: readonly RunningPush[]): Promise<Roots> {
  const roots: Roots = { digests: new Set(), poolPaths: new Map(), keys: new Set(), specs: new Set(), pushes: new Set(), recipes: new Set(), keptSnapshots: 0 };
  // Every kept snapshot, staging ones included (a publish making one is running, but its manifest says it all).
  const reposDir = path.join(layout.root, 'repos');
  for (const tree of await entries(reposDir)) {
    if (!tree.isDirectory()) continue;
    for (const branch of await entries(path.join(reposDir, tree.name))) {
      if (!branch.isDirectory()) continue;
      const snapshotsDir = path.join(reposDir, tree.name, branch.name, 'snapshots');
      const poolPaths = new Set<string>();
      roots.poolPaths.set(path.join(reposDir, tree.name, branch.name), poolPaths);
      for (const snapshot of await entries(snapshotsDir)) {
        const staging = /^\.(\d+)\.staging$/.exec(snapshot.name);
        if (!snapshot.isDirectory() || (parseSnapshotDirName(snapshot.name) === undefined && !staging)) continue;
        const manifest = await readJsonIfExists<SnapshotManifest>(path.join(snapshotsDir, snapshot.name, MANIFEST));
        if (!manifest) {
          // A staging snapshot writes its manifest last; a complete one without it names files nobody can know.
          if (!staging) roots.poolPaths.delete(path.join(reposDir, tree.name, branch.name));
          continue;
        }
        if (!staging) roots.keptSnapshots++;
        roots.pushes.add(layout.pushDir({ tree: manifest.tree, branch: manifest.branch, commit: manifest.commit }));
        for (const source of manifest.sources) {
          for (const artifact of source.artifacts) {
            roots.digests.add(artifact.sha256);
            poolPaths.add(artifact.pool);
            roots.keys.add(artifact.key);
          }
        }
      }
    }
  }
  for (const { push } of running) {
    roots.pushes.add(layout.pushDir(push));
    const plan = await readJsonIfExists<Plan>(layout.pushPlan(push));
    for (const b of plan?.builds ?? []) {
      roots.specs.add(specId(push.tree, b));
      roots.recipes.add(`${push.tree}/${b.treeHash}`);
    }
    // What its WIP repository holds, by key (each lane's manifest), whatever the plan says.
    const wip = layout.wip(push);
    for (const lane of await entries(wip)) {
      if (!lane.isDirectory()) continue;
      const keys = await readJsonIfExists<string[]>(path.join(wip, lane.name, MANIFEST));
      for (const key of Array.isArray(keys) ? keys : []) roots.keys.add(key);
    }
  }
  return roots;
}
