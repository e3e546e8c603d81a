import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../domain/atomic-file';
import { fingerprint, gpg, gpgRaw } from '../openpgp/gpg';
import { KeyLock } from '../builder/key-lock';

/**
 * The WIP key: an OpenPGP key the orchestrator makes on first use and keeps. It signs WIP repositories only, which
 * build containers trust; it is never the final repository key (that one lives in the signer alone).
 */
export class WipKey {
  constructor(private readonly dir: string) {}

  private get home(): string { return path.join(this.dir, 'gnupg'); }
  get publicKeyring(): string { return path.join(this.dir, 'wip.gpg'); }

  async ensure(): Promise<string> {
    const existing = await fingerprint(this.home);
    if (existing && fs.existsSync(this.publicKeyring)) return existing;
    await fs.promises.mkdir(this.dir, { recursive: true });
    const lockFile = path.join(this.dir, 'create.lock');
    let lock: KeyLock | undefined;
    while (!(lock = await KeyLock.tryAcquire(lockFile))) await new Promise((r) => setTimeout(r, 200));
    try {
      let fpr = await fingerprint(this.home);
      if (!fpr) {
        await gpg(this.home, ['--passphrase', '', '--pinentry-mode', 'loopback',
          '--quick-generate-key', 'Kiln WIP repositories <wip@kiln.invalid>', 'ed25519', 'sign', 'never']);
        fpr = await fingerprint(this.home);
        if (!fpr) throw new Error(`gpg made no WIP key in ${this.home}`);
      }
      const exported = await gpgRaw(this.home, ['--export', fpr]);
      await writeFileAtomic(this.publicKeyring, exported);
      return fpr;
    } finally {
      await lock.release();
    }
  }

  /** Clear-sign a Release file into InRelease. */
  async clearsign(release: string): Promise<string> {
    const fpr = await this.ensure();
    return gpg(this.home, ['--local-user', fpr, '--digest-algo', 'SHA256', '--clearsign', '--output', '-'], release);
  }
}
