import { KilnError } from '../errors';
import type { KilnConfig, TreeConfig } from './types';

/** The tree called `name`; TREE_UNKNOWN (404) naming the configured trees otherwise, for API routes and the CLI. */
export function findTree(config: KilnConfig, name: string): TreeConfig {
  const tree = config.trees.find((t) => t.name === name);
  if (!tree) {
    const known = config.trees.map((t) => t.name).join(', ');
    throw new KilnError('TREE_UNKNOWN', `no tree named "${name}" is configured (configured: ${known})`);
  }
  return tree;
}
