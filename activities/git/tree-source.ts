import { simpleGit } from 'simple-git';
import type { TreeConfig } from '../../domain/config';
import type { DataLayout } from '../../domain/data-layout';
import { KilnError } from '../../domain/errors';
import { importDirectory, isPlainDirectory } from './directory-import';

/** Where to fetch a tree from: its git URL, or Kiln's repository of a plain directory. */
export function treeFetchUrl(tree: TreeConfig, layout: DataLayout): string {
  return isPlainDirectory(tree.url) ? layout.directoryImport(tree.name) : tree.url;
}

/**
 * The commit a push of `branch` should build now: the remote branch head, or for a plain directory a commit of its
 * current content (made only when it changed).
 */
export async function currentHead(tree: TreeConfig, layout: DataLayout, branch: string): Promise<string> {
  if (isPlainDirectory(tree.url)) return importDirectory(tree.url, layout.directoryImport(tree.name), branch);
  let out: string;
  try {
    out = await simpleGit().listRemote([tree.url, `refs/heads/${branch}`]);
  } catch (err) {
    throw new KilnError('TREE_UNREACHABLE', `cannot read ${tree.url}: ${String(err)}`);
  }
  const commit = /^([0-9a-f]{40})\s/m.exec(out)?.[1];
  if (!commit) throw new KilnError('BRANCH_UNKNOWN', `branch ${branch} does not exist in ${tree.url}`);
  return commit;
}
