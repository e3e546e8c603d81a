import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { readJsonIfExists } from '../../domain/atomic-file';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import type { SnapshotManifest } from '../../domain/publish/snapshot-manifest';

/**
 * The published commit of the push's branch when the pushed commit is that commit or one of its ancestors, else
 * undefined. Webhook intake asks this so that a replayed old push (validly signed, under a new delivery ID or one the
 * record forgot) never rebuilds and republishes an older state over the newer one; operators' pushes and rollbacks
 * do not go through it.
 */
export type PublishedCheck = (push: PushRef) => Promise<string | undefined>;

/**
 * Reads the branch's current snapshot manifest and asks the tree's mirror (read-only: `git merge-base
 * --is-ancestor`). A commit the mirror does not have yet is new, so not an ancestor; when the published commit is gone
 * from the mirror (a force push, then gc), ancestry cannot be told and the push goes ahead.
 */
export function publishedCheck(layout: DataLayout): PublishedCheck {
  return async (push) => {
    const manifest = await readJsonIfExists<Pick<SnapshotManifest, 'commit'>>(
      path.join(layout.repo(push.tree, push.branch), 'current', 'kiln-manifest.json'));
    const published = manifest?.commit;
    if (!published) return undefined;
    if (published === push.commit) return published;
    return (await isAncestor(layout.gitMirror(push.tree), push.commit, published)) ? published : undefined;
  };
}

function isAncestor(gitDir: string, commit: string, of: string): Promise<boolean> {
  return new Promise((resolve) => {
    // Exit 0: an ancestor; 1: not; anything else (unknown object, no mirror): cannot tell, treated as not.
    execFile('git', ['--git-dir', gitDir, 'merge-base', '--is-ancestor', commit, of], { timeout: 30_000 },
      (err) => resolve(err === null));
  });
}
