import { findTree, type KilnConfig, type TreeConfig } from '../../domain/config';
import { KilnError } from '../../domain/errors';

/** A configured tree and one of its branches: TREE_UNKNOWN or BRANCH_UNKNOWN (404) otherwise. */
export function configuredBranch(config: KilnConfig, tree: string, branch: string): TreeConfig {
  const found = findTree(config, tree);
  if (!found.branches.includes(branch)) {
    throw new KilnError('BRANCH_UNKNOWN', `branch "${branch}" is not configured for tree "${found.name}" (configured: ${found.branches.join(', ')})`);
  }
  return found;
}
