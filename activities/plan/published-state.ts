import * as path from 'node:path';
import { readJsonIfExists } from '../../domain/atomic-file';
import type { DataLayout } from '../../domain/data-layout';
import type { PublishedSource } from '../../domain/plan/plan-builds';

/**
 * What the branch's published repository holds, as planning compares it: its current snapshot's manifest. A branch
 * that never published has nothing, so everything is planned (and keys already built are reused, not rebuilt).
 */
export async function readPublishedSources(layout: DataLayout, tree: string, branch: string): Promise<PublishedSource[]> {
  const manifest = await readJsonIfExists<{ sources: PublishedSource[] }>(path.join(layout.repo(tree, branch), 'current', 'kiln-manifest.json'));
  return manifest?.sources ?? [];
}
