import { ApplicationFailure } from '@temporalio/common';
import type { KilnConfig } from '../../domain/config';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import { formatOf } from '../../domain/formats/registry';
import { rankBuilds } from '../../domain/plan/critical-path';
import { planBuilds } from '../../domain/plan/plan-builds';
import type { Plan } from '../../domain/push';
import { TreeMirror } from '../git/mirror';
import { treeFetchUrl } from '../git/tree-source';
import { readBuildDurations } from './build-durations';
import { readPublishedSources } from './published-state';
import { readRecipes } from './read-recipes';

export interface PlanHooks {
  progress?: (step: string) => void;
}

/**
 * Fetch the tree, read every recipe at the pushed commit, compare with the branch's repository, and export the
 * recipes that will build. Retrying is safe: every step is idempotent.
 */
export async function planPush(config: KilnConfig, layout: DataLayout, push: PushRef, hooks: PlanHooks = {}): Promise<Plan> {
  const tree = config.trees.find((t) => t.name === push.tree);
  if (!tree) throw ApplicationFailure.nonRetryable(`no tree named ${push.tree} is configured`, 'TREE_UNKNOWN');
  if (!tree.branches.includes(push.branch)) {
    throw ApplicationFailure.nonRetryable(`branch ${push.branch} is not configured for tree ${push.tree}`, 'BRANCH_UNKNOWN');
  }
  const mirror = new TreeMirror(treeFetchUrl(tree, layout), layout.gitMirror(tree.name));
  hooks.progress?.('fetching');
  await mirror.sync();
  if (!(await mirror.hasCommit(push.commit))) {
    throw ApplicationFailure.nonRetryable(`commit ${push.commit} is not in ${tree.url}`, 'COMMIT_UNKNOWN');
  }
  hooks.progress?.('reading recipes');
  const format = formatOf(tree.format);
  const { recipes, invalid } = await readRecipes(mirror, format, push.commit, tree.architectures);
  const published = await readPublishedSources(layout, tree.name, push.branch);
  const planned = planBuilds({ format, arches: [...tree.architectures], recipes, invalid, published });
  // Longest path first, from how long the same packages took last time.
  const ranks = rankBuilds(planned.builds, await readBuildDurations(layout, tree.name));
  for (const b of planned.builds) b.rankMs = ranks.get(b.id);

  hooks.progress?.('exporting recipes');
  for (const treeHash of new Set(planned.builds.map((b) => b.treeHash))) {
    await mirror.exportTree(treeHash, layout.recipe(tree.name, treeHash));
  }
  return {
    push,
    ...(format.id === 'deb' ? {} : { format: format.id }),
    suite: tree.distribution,
    arches: [...tree.architectures],
    limits: { ...tree.build },
    ...planned,
  };
}
