import { suiteOf, type KilnConfig } from '../../domain/config';
import { pushUrl, repositoryUrl } from './links';
import type { PushRecords, PushSummary } from './push-records';
import type { Snapshots } from './snapshots';

// The configured trees and, per branch, what is published now and what was pushed last.

export interface BranchOverview {
  name: string;
  suite: string;
  /** The `deb` URL of the published repository. */
  repositoryUrl: string;
  /** What `current` points at; absent before the first publish. */
  snapshot?: { number: number; commit: string; createdAt: string };
  /** The newest push (by start time) with a record. */
  lastPush?: Pick<PushSummary, 'workflowId' | 'commit' | 'state' | 'startedAt' | 'finishedAt'> & { url: string };
}

export interface TreeOverview {
  name: string;
  format: string;
  distribution: string;
  architectures: string[];
  branches: BranchOverview[];
}

export async function treesOverview(config: KilnConfig, records: PushRecords, snapshots: Snapshots): Promise<TreeOverview[]> {
  return Promise.all(config.trees.map(async (tree) => ({
    name: tree.name,
    format: tree.format,
    distribution: tree.distribution,
    architectures: [...tree.architectures],
    branches: await Promise.all(tree.branches.map(async (branch): Promise<BranchOverview> => {
      const [current, last] = await Promise.all([snapshots.current(tree.name, branch), records.latest(tree.name, branch)]);
      return {
        name: branch,
        suite: suiteOf(tree, branch),
        repositoryUrl: repositoryUrl(config, tree.name, branch),
        snapshot: current && { number: current.number, commit: current.commit, createdAt: current.createdAt },
        lastPush: last && {
          workflowId: last.workflowId, commit: last.commit, state: last.state, startedAt: last.startedAt, finishedAt: last.finishedAt,
          url: pushUrl(last),
        },
      };
    })),
  })));
}
