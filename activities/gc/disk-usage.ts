import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Bytes removing `target` frees: regular files whose last link it holds (a pool file a snapshot also links frees
 * nothing). Never follows a symlink: work dirs and logs hold what builds left, which is hostile.
 */
export async function freedBytes(target: string): Promise<number> {
  const stat = await fs.promises.lstat(target).catch(() => undefined);
  if (!stat) return 0;
  if (stat.isFile()) return stat.nlink <= 1 ? stat.size : 0;
  if (!stat.isDirectory()) return 0;
  let total = 0;
  const entries = await fs.promises.readdir(target).catch(() => [] as string[]);
  for (const name of entries) total += await freedBytes(path.join(target, name));
  return total;
}

/** Modification time in ms, or undefined when it is gone (something else removed it meanwhile). */
export async function mtimeMs(target: string): Promise<number | undefined> {
  const stat = await fs.promises.lstat(target).catch(() => undefined);
  return stat?.mtimeMs;
}

/** Names in a directory; none when it does not exist. */
export async function entries(dir: string): Promise<fs.Dirent[]> {
  return fs.promises.readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
}

/** Mark a file or folder as just used, so a collection running now keeps it (see activities/gc/collect.ts). */
export async function touch(target: string): Promise<void> {
  const now = new Date();
  await fs.promises.utimes(target, now, now).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
