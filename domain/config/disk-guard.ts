import type { KilnConfig } from './types';

/** The free space (MiB) below which the least demanding tree's builds wait: what /healthz and /metrics report
 * against (0: no tree's builds ever wait). */
export function dataDirMinFreeMb(config: Pick<KilnConfig, 'build' | 'trees'>): number {
  const wanted = [config.build.minFreeMb, ...config.trees.map((t) => t.build.minFreeMb)].filter((mb) => mb > 0);
  return wanted.length > 0 ? Math.min(...wanted) : 0;
}
