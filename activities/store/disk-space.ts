import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bytes an unprivileged writer can still put on the file system that holds `dir` (statfs: available blocks); a
 * dir not made yet is measured where it will be, on its nearest existing parent. */
export async function freeBytes(dir: string): Promise<number> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      const stats = await fs.promises.statfs(at);
      return stats.bavail * stats.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || at === path.dirname(at)) throw err;
    }
  }
}

/** Below `minFreeMb` MiB free: what is free and what is wanted, in MiB; else undefined (0 never waits). */
export async function lowDisk(dir: string, minFreeMb: number): Promise<{ freeMb: number; minFreeMb: number } | undefined> {
  if (minFreeMb <= 0) return undefined;
  const freeMb = Math.floor(await freeBytes(dir) / 1048576);
  return freeMb < minFreeMb ? { freeMb, minFreeMb } : undefined;
}
