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

  /**
   * Stale: its holder on this host is dead (known at once), or it was not refreshed for STALE_MS (any host). A lock
   * file that is empty or torn is being written by its taker right now (`wx` creates it, then writes the owner):
   * stale only once it is old, or two takers would both hold it.
   */
  private static async isStale(file: string): Promise<boolean> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch {
      return true; // vanished: take it
    }
    const old = Date.now() - stat.mtimeMs > KeyLock.STALE_MS;
    let owner: { host?: string; pid?: number };
    try {
      owner = JSON.parse(await fs.promises.readFile(file, 'utf8')) as { host?: string; pid?: number };
    } catch {
      return old;
    }
    if (owner.host === os.hostname() && typeof owner.pid === 'number' && !processAlive(owner.pid)) return true;
    return old;
  }

  async release(): Promise<void> {
    if (this.refresher) clearInterval(this.refresher);
    await fs.promises.rm(this.file, { force: true });
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
