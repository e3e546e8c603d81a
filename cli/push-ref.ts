import type { PushSummary } from '../api/data/push-records';
import type { PushRef } from '../domain/data-layout';
import type { ApiClient } from './api-client';
import { ApiError, usageError } from './cli-error';

// Which push a command means: the tree as given, the branch given or the tree's first, the commit given or the
// branch's latest push; all asked of the API.

const COMMIT = /^[0-9a-f]{40}$/;

export function checkCommit(commit: string | undefined): string | undefined {
  if (commit !== undefined && !COMMIT.test(commit)) throw usageError(`--commit must be a full 40-digit hex commit id, got ${commit}`);
  return commit;
}

interface TreesAnswer { trees: Array<{ name: string; branches: Array<{ name: string }> }> }

/** The branch given, else the tree's first configured branch (what a webhook-less push builds). */
export async function branchOf(client: ApiClient, tree: string, branch: string | undefined): Promise<string> {
  if (branch !== undefined) return branch;
  const { trees } = await client.get<TreesAnswer>('/api/trees');
  const found = trees.find((t) => t.name === tree);
  if (!found) throw new ApiError('TREE_UNKNOWN', `no tree "${tree}" is configured (trees: ${trees.map((t) => t.name).join(', ') || 'none'})`, 404);
  if (found.branches.length === 0) throw new ApiError('BRANCH_UNKNOWN', `tree "${tree}" has no branches`, 404);
  return found.branches[0].name;
}

/** The push meant: `commit` when given, else the branch's newest push. */
export async function resolvePush(client: ApiClient, target: { tree: string; branch?: string; commit?: string }): Promise<PushRef> {
  const given = checkCommit(target.commit);
  const branch = await branchOf(client, target.tree, target.branch);
  return { tree: target.tree, branch, commit: given ?? (await latestPush(client, target.tree, branch)).commit };
}

export async function latestPush(client: ApiClient, tree: string, branch: string): Promise<PushSummary> {
  const { pushes } = await client.get<{ pushes: PushSummary[] }>('/api/pushes', { tree, branch, limit: 1 });
  if (pushes.length === 0) throw new ApiError('PUSH_UNKNOWN', `${tree}/${branch} has no push yet (kiln push ${tree} --branch ${branch})`, 404);
  return pushes[0];
}
