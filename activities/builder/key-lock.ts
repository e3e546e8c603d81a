import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * One build of a key at a time across pushes and workers sharing a data dir: an exclusive lock file, refreshed while
 * held. A lock whose holder stopped refreshing it (a killed worker) is stale and taken over.
 */
export class KeyLock {
  private refresher?: NodeJS.Timeout;

  private constructor(private readonly file: string) {}

  static readonly STALE_MS = 45_000;

  static async tryAcquire(file: string): Promise<KeyLock | undefined> {
    const owner = JSON.stringify({ host: os.hostname(), pid: process.pid, at: new Date().toISOString() });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await fs.promises.writeFile(file, owner, { flag: 'wx' });
        const lock = new KeyLock(file);
        lock.refresher = setInterval(() => {
          const now = new Date();
          fs.promises.utimes(file, now, now).catch(() => undefined);
        }, 10_000);
        lock.refresher.unref();
        return lock;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (!(await KeyLock.isStale(file))) return undefined;
        await fs.promises.rm(file, { force: true });
      }
    }
    return undefined;
  }

  private static async isStale(file: string): Promise<boolean> {
    try {
      const stat = await fs.promises.stat(file);
      return Date.now() - stat.mtimeMs > KeyLock.STALE_MS;
    } catch {
      return true;
    }
  }

  async release(): Promise<void> {
    if (this.refresher) clearInterval(this.refresher);
    await fs.promises.rm(this.file, { force: true });
  }
}
