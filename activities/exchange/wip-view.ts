import * as fs from 'node:fs';
import * as path from 'node:path';
import { VIEW_PATH_PATTERN, type BlobRef, type ViewFile, type WipViewManifest } from '../../domain/build-exchange';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import { sha256File, ArtifactStore } from '../store/artifact-store';
import { withWipLock } from '../wip/wip-repo';

/**
 * Digests of package files already hashed, by inode: WIP lanes hold hard links into the (immutable) store. Only
 * those: an index file is rewritten (a new file renamed over the old) many times a second, and ext4 hands a freed
 * inode to the next file while mtimes tick in jiffies, so inode, size and mtime can repeat with other bytes.
 */
const digests = new Map<string, string>();
const MAX_REMEMBERED = 200_000;

/**
 * A push's WIP lanes for one build, frozen now (under the WIP lock, so no index update lands half-seen) as a manifest
 * blob: every file with its digest, each in the store. A build worker fetches the manifest and the files it lists
 * and mounts them as /wip. Undefined when the push has no WIP repository yet.
 */
export async function wipView(layout: DataLayout, push: PushRef, lanes: string[]): Promise<BlobRef | undefined> {
  const dir = layout.wip(push);
  if (!fs.existsSync(path.join(dir, 'wip.gpg'))) return undefined;
  const store = new ArtifactStore(layout.store);
  const files = await withWipLock(dir, async () => {
    const list: ViewFile[] = [await stored(store, path.join(dir, 'wip.gpg'), 'wip.gpg')];
    for (const lane of lanes) {
      const laneDir = path.join(dir, lane);
      // The manifest is written after the lane's index: a lane without it was never completely indexed.
      if (!fs.existsSync(path.join(laneDir, 'kiln-manifest.json'))) continue;
      for (const name of (await fs.promises.readdir(laneDir)).sort()) {
        if (name.startsWith('.') || name === 'kiln-manifest.json') continue;
        list.push(await stored(store, path.join(laneDir, name), `${lane}/${name}`));
      }
    }
    return list;
  });
  const manifest: WipViewManifest = { files };
  const text = `${JSON.stringify(manifest)}\n`;
  const tmp = path.join(layout.store, `.view.${process.pid}.${Date.now()}.json`);
  await fs.promises.mkdir(layout.store, { recursive: true });
  await fs.promises.writeFile(tmp, text);
  try {
    const blob = await store.add(tmp);
    return { sha256: blob.sha256, size: blob.size };
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

async function stored(store: ArtifactStore, file: string, viewPath: string): Promise<ViewFile> {
  if (!VIEW_PATH_PATTERN.test(viewPath)) throw new Error(`the WIP repository holds a file a view cannot name: ${viewPath}`);
  const stat = await fs.promises.lstat(file);
  if (!stat.isFile()) throw new Error(`the WIP repository holds something that is not a file: ${viewPath}`);
  // A package is a hard link into the store (two links at least); an index, the keyring and the lane's files are not.
  const linked = stat.nlink > 1;
  const id = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  let sha256 = linked ? digests.get(id) : undefined;
  if (!sha256) {
    sha256 = await sha256File(file);
    if (linked) {
      if (digests.size >= MAX_REMEMBERED) digests.clear();
      digests.set(id, sha256);
    }
  }
  // Packages are in the store already (the lane links them); indexes and the keyring are added.
  if (!(await store.keep(sha256))) await store.add(file);
  return { path: viewPath, sha256, size: stat.size };
}
