import * as fs from 'node:fs';
import * as path from 'node:path';
import { PUBLIC_KEYS } from '../../activities/publish/branch-repo';
import type { DataLayout } from '../../domain/data-layout';

/** The fingerprint of the archive key the current snapshot of a branch is signed with, if one is published. */
export function publishedFingerprint(layout: DataLayout, tree: string, branch: string): string | undefined {
  try {
    const text = fs.readFileSync(path.join(layout.repo(tree, branch), 'current', PUBLIC_KEYS.fingerprint), 'utf8').trim();
    return /^[0-9A-F]{40}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
