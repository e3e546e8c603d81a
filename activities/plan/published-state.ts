import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { readJsonIfExists } from '../../domain/atomic-file';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import type { PublishedSource } from '../../domain/plan/plan-builds';
import type { SnapshotManifest } from '../../domain/publish/snapshot-manifest';

// Readers of what a branch has published (its current snapshot's manifest): planning, publishing and webhook intake
// ask these; nothing here writes.

function currentManifest(layout: DataLayout, tree: string, branch: string): Promise<SnapshotManifest | undefined> {
  return readJsonIfExists<SnapshotManifest>(path.join(layout.repo(tree, branch), 'current', 'kiln-manifest.json'));
}

/**
 * What the branch's published repository holds, as planning compares it: its current snapshot's manifest. A branch
 * that never published has nothing, so everything is planned (and keys already built are reused, not rebuilt).
 */
export async function readPublishedSources(layout: DataLayout, tree: string, branch: string): Promise<PublishedSource[]> {
  return (await currentManifest(layout, tree, branch))?.sources ?? [];
}

/**
 * The branch's published commit when `push.commit` is that commit or one of its ancestors, else undefined: publishing
 * such a push would go back. Ancestry comes from the tree's mirror (read-only `git merge-base --is-ancestor`): a commit
 * the mirror does not have yet is new, so not an ancestor; when the published commit is gone from the mirror (a force
 * push, then gc), ancestry cannot be told and the answer is undefined.
 */
export async function publishedCommitCovering(layout: DataLayout, push: PushRef): Promise<string | undefined> {
  const published = (await currentManifest(layout, push.tree, push.branch))?.commit;
  if (!published) return undefined;
  if (published === push.commit) return published;
  return (await isAncestor(layout.gitMirror(push.tree), push.commit, published)) ? published : undefined;
}

function isAncestor(gitDir: string, commit: string, of: string): Promise<boolean> {
  return new Promise((resolve) => {
    // Exit 0: an ancestor; 1: not; anything else (unknown object, no mirror): cannot tell, treated as not.
    // safe.directory: the API may run as another user than the orchestrator that owns the mirror (read-only here).
    execFile('git', ['-c', `safe.directory=${gitDir}`, '--git-dir', gitDir, 'merge-base', '--is-ancestor', commit, of], { timeout: 30_000 },
      (err) => resolve(err === null));
  });
}
