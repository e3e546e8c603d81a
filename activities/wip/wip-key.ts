import * as fs from 'node:fs';
import * as path from 'node:path';
import * as openpgp from 'openpgp';
import { writeFileAtomic } from '../../domain/atomic-file';
import { fingerprint, gpg, gpgRaw } from '../openpgp/gpg';
import { KeyLock } from '../builder/key-lock';

/**
 * The WIP key: an OpenPGP key the orchestrator makes on first use and keeps. It signs WIP repositories only, which
 * build containers trust; it is never the final repository key (that one lives in the signer alone).
 */
export class WipKey {
  private ensured?: Promise<string>;
  private signing?: Promise<openpgp.PrivateKey>;

  constructor(private readonly dir: string) {}

  private get home(): string { return path.join(this.dir, 'gnupg'); }
  get publicKeyring(): string { return path.join(this.dir, 'wip.gpg'); }

  /** The key's fingerprint, made first if there is none. Known once per process: the key is never replaced. */
  async ensure(): Promise<string> {
    if (this.ensured && fs.existsSync(this.publicKeyring)) return this.ensured;
    this.ensured = this.make();
    this.ensured.catch(() => { this.ensured = undefined; });
    return this.ensured;
  }

  private async make(): Promise<string> {
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

  /**
   * Clear-sign a Release file into InRelease. In this process, not by a gpg per call: a push signs its WIP index
   * once per build it adds, and spawning gpg from a busy orchestrator cost more than the rest of adding the build.
   * apt in the build container checks it with gpgv against wip.gpg like any other signature.
   */
  async clearsign(release: string): Promise<string> {
    const key = await this.signingKey();
    const signed = await openpgp.sign({ message: await openpgp.createCleartextMessage({ text: release }), signingKeys: key });
    // OpenPGP.js ends lines with CRLF; the signature covers the text with canonical (CRLF) line ends either way
    // (RFC 9580, 7.1), and an InRelease with LF, as gpg writes it, is what every apt parser expects.
    return signed.replace(/\r\n/g, '\n');
  }

  private signingKey(): Promise<openpgp.PrivateKey> {
    this.signing ??= (async () => {
      const fpr = await this.ensure();
      // Made without a passphrase (above): exported, its secret part is unprotected and needs no agent to use.
      const secret = await gpgRaw(this.home, ['--pinentry-mode', 'loopback', '--passphrase', '', '--export-secret-keys', fpr]);
      const key = await openpgp.readPrivateKey({ binaryKey: secret });
      if (key.getFingerprint().toUpperCase() !== fpr) throw new Error(`the WIP key exported from ${this.home} is not ${fpr}`);
      return key;
    })();
    this.signing.catch(() => { this.signing = undefined; });
    return this.signing;
  }
}
