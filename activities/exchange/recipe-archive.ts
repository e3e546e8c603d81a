import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { readJsonIfExists, writeJsonAtomic } from '../../domain/atomic-file';
import type { BlobRef } from '../../domain/build-exchange';
import type { DataLayout } from '../../domain/data-layout';
import { ArtifactStore } from '../store/artifact-store';
import { touch } from '../gc/disk-usage';

const exec = promisify(execFile);

/**
 * The recipe of a tree hash as one tar archive in the store, made once (from the export planning checked) and named
 * by its digest in recipes/<tree>/<treeHash>.archive.json: what a build worker fetches instead of reading the export.
 * Deterministic (sorted, no owners, fixed times), so every orchestrator makes the same blob of the same recipe.
 */
export async function recipeArchive(layout: DataLayout, tree: string, treeHash: string): Promise<BlobRef> {
  const record = `${layout.recipe(tree, treeHash)}.archive.json`;
  const store = new ArtifactStore(layout.store);
  const known = await readJsonIfExists<BlobRef>(record);
  if (known && await store.keep(known.sha256)) {
    await touch(record); // in use: garbage collection keeps the export and its archive
    return known;
  }
  const dir = layout.recipe(tree, treeHash);
  if (!fs.existsSync(dir)) throw new Error(`recipe ${dir} is missing (the plan exports it before builds start)`);
  const tmp = `${dir}.${crypto.randomBytes(6).toString('hex')}.tar`;
  try {
    await exec('tar', ['-c', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu', '-f', tmp, '-C', dir, '.']);
    const stored = await store.add(tmp);
    const ref = { sha256: stored.sha256, size: stored.size };
    await writeJsonAtomic(record, ref);
    return ref;
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}
