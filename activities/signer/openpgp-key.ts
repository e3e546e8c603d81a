import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../domain/atomic-file';
import { KilnError } from '../../domain/errors';
import { gpgRaw, gpgWithPassphraseFile, keyringFingerprints, publicFingerprint, stopAgent } from '../openpgp/gpg';
import { checkPrivateDir, checkSecretFile, secretExists } from './secret-files';

// The signer's OpenPGP key: what apt checks InRelease and Release.gpg against (`signed-by=`). It lives in its own gpg
// home dir inside the signer's keys dir, protected by a random passphrase kept in a 0600 file (in the keys dir, or in
// `signer.passwordDir`); gpg only ever gets that file's path (`--passphrase-file`), never the passphrase in argv.

export const OPENPGP_FILES = {
  home: 'openpgp',
  password: 'openpgp.password',
  /** Binary keyring: what apt's `signed-by=` and `gpgv --keyring` take. */
  keyring: 'kiln-archive-keyring.gpg',
  /** The same public key, armored, for people and for `signed-by=` files ending in `.asc`. */
  armoredKeyring: 'kiln-archive-keyring.asc',
} as const;

export const OPENPGP_USER_ID = 'Kiln archive signing key <archive-signing@kiln.invalid>';
/** Ed25519: bookworm's gpgv (2.2) and trixie's sqv accept it; signatures use SHA-256. */
export const OPENPGP_ALGORITHM = 'ed25519';

export interface OpenPgpPaths {
  home: string;
  passwordFile: string;
  keyringFile: string;
  armoredKeyringFile: string;
}

/** Where the OpenPGP files are; the passphrase file is in `passwordDir` (default: the keys dir). */
export function openPgpPaths(keysDir: string, passwordDir: string = keysDir): OpenPgpPaths {
  return {
    home: path.join(keysDir, OPENPGP_FILES.home),
    passwordFile: path.join(passwordDir, OPENPGP_FILES.password),
    keyringFile: path.join(keysDir, OPENPGP_FILES.keyring),
    armoredKeyringFile: path.join(keysDir, OPENPGP_FILES.armoredKeyring),
  };
}

export interface OpenPgpReleaseSignatures {
  /** The clear-signed Release (InRelease). */
  inRelease: string;
  /** An armored detached signature of Release (Release.gpg). */
  releaseGpg: string;
}

export interface OpenPgpSignerKey {
  readonly fingerprint: string;
  /** The binary public keyring (kiln-archive-keyring.gpg) as read and checked at load. */
  readonly keyring: Buffer;
  /** InRelease and Release.gpg for one Release text. Calls on the same key run one after another. */
  signRelease(release: Buffer): Promise<OpenPgpReleaseSignatures>;
  /** A binary detached signature (what pacman reads as `<db>.sig`). */
  detachSign(data: Buffer): Promise<Buffer>;
}

/**
 * Make the OpenPGP key if the home dir holds none; never replaces one. Re-exports the public keyrings when they are
 * missing (or when the key is new). The caller holds the keys dir's creation lock.
 */
export async function ensureOpenPgpKey(keysDir: string, options: { s2kCount?: number; passwordDir?: string } = {}): Promise<{ created: boolean; fingerprint: string } & OpenPgpPaths> {
  const paths = openPgpPaths(keysDir, options.passwordDir);
  let fingerprint = await publicFingerprint(paths.home);
  let created = false;
  if (!fingerprint) {
    if (!secretExists(paths.passwordFile)) {
      // A password file without a key is left by an interrupted run that used it for nothing yet: reuse it.
      const password = crypto.randomBytes(32).toString('base64url');
      await fs.promises.writeFile(paths.passwordFile, password, { mode: 0o600, flag: 'wx' });
    }
    await fs.promises.mkdir(paths.home, { recursive: true, mode: 0o700 });
    // The agent protects the key with its passphrase through an iterated S2K whose cost it calibrates (~100 ms or
    // more), and pays again on every signature. Tests ask for the minimum; the setting is used for this key only.
    const agentConf = path.join(paths.home, 'gpg-agent.conf');
    if (options.s2kCount !== undefined) {
      if (!Number.isInteger(options.s2kCount) || options.s2kCount < 65536) throw new RangeError('the S2K count is a whole number of at least 65536');
      await stopAgent(paths.home);
      await fs.promises.writeFile(agentConf, `s2k-count ${options.s2kCount}\n`, { mode: 0o600 });
    }
    try {
      await gpgWithPassphraseFile(paths.home, paths.passwordFile,
        ['--quick-generate-key', OPENPGP_USER_ID, OPENPGP_ALGORITHM, 'sign', 'never']);
    } finally {
      // Key generation autostarts gpg-agent; `kiln keys generate` should leave no daemon behind.
      await stopAgent(paths.home);
      if (options.s2kCount !== undefined) await fs.promises.rm(agentConf, { force: true });
    }
    fingerprint = await publicFingerprint(paths.home);
    if (!fingerprint) throw new Error(`gpg made no OpenPGP key in ${paths.home}`);
    created = true;
  }
  // Exporting public keys needs no passphrase and no agent.
  if (created || !fs.existsSync(paths.keyringFile)) {
    await writeFileAtomic(paths.keyringFile, await gpgRaw(paths.home, ['--export', fingerprint]));
  }
  if (created || !fs.existsSync(paths.armoredKeyringFile)) {
    await writeFileAtomic(paths.armoredKeyringFile, await gpgRaw(paths.home, ['--armor', '--export', fingerprint]));
  }
  return { created, fingerprint, ...paths };
}

function missing(message: string): KilnError {
  return new KilnError('SIGNER_KEYS_MISSING', `${message}: run \`kiln keys generate\` on the signer's host (it adds a missing OpenPGP key and keeps existing keys)`);
}

/**
 * Find and check the OpenPGP key, its passphrase file and its public keyring; proves the passphrase signs. The home
 * dir and the passphrase file must be the signer's own and closed to others (SIGNER_KEY_PERMISSIONS).
 */
export async function loadOpenPgpKey(keysDir: string, passwordDir: string = keysDir): Promise<OpenPgpSignerKey> {
  const paths = openPgpPaths(keysDir, passwordDir);
  if (secretExists(paths.home)) checkPrivateDir(paths.home);
  const fingerprint = await publicFingerprint(paths.home);
  if (!fingerprint) throw missing(`${paths.home} holds no OpenPGP signing key`);
  if (!secretExists(paths.passwordFile)) throw missing(`${paths.passwordFile} (the OpenPGP key's passphrase) does not exist`);
  // gpg opens it by path: checked here, and gpg reads it moments later, in the signer's own 0700 dirs.
  checkSecretFile(paths.passwordFile);
  if (!fs.existsSync(paths.keyringFile)) throw missing(`${paths.keyringFile} (the OpenPGP public keyring) does not exist`);
  const keyring = await fs.promises.readFile(paths.keyringFile);
  const inKeyring = await keyringFingerprints(paths.home, keyring).catch(() => [] as string[]);
  if (!inKeyring.includes(fingerprint)) {
    throw new KilnError('SIGNER_KEYS_MISSING', `${paths.keyringFile} does not hold the OpenPGP key ${fingerprint} of ${paths.home} (holds: ${inKeyring.join(', ') || 'no key'}); remove it and run \`kiln keys generate\` to export it again`);
  }
  const key = new GpgSignerKey(paths, fingerprint, keyring);
  try {
    await key.signRelease(Buffer.from('Kiln signer key check\n'));
  } catch (err) {
    throw new KilnError('SIGNER_KEYS_MISSING', `the OpenPGP key ${fingerprint} in ${paths.home} cannot sign with the passphrase in ${paths.passwordFile}: ${(err as Error).message}`);
  }
  return key;
}

// gpg-agent serves concurrent clients, but one signing at a time per home dir keeps the agent's single passphrase
// cache entry and gpg's lock files out of any race, and costs milliseconds.
const queues = new Map<string, Promise<void>>();

function oneAtATime<T>(home: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(home) ?? Promise.resolve();
  const run = previous.then(task);
  const tail = run.then(() => undefined, () => undefined);
  queues.set(home, tail);
  void tail.then(() => { if (queues.get(home) === tail) queues.delete(home); });
  return run;
}

class GpgSignerKey implements OpenPgpSignerKey {
  constructor(private readonly paths: OpenPgpPaths, readonly fingerprint: string, readonly keyring: Buffer) {}

  signRelease(release: Buffer): Promise<OpenPgpReleaseSignatures> {
    return oneAtATime(this.paths.home, async () => {
      // `!` pins this exact key, never a subkey gpg might prefer.
      const common = ['--local-user', `${this.fingerprint}!`, '--digest-algo', 'SHA256', '--output', '-'];
      const inRelease = await this.gpg([...common, '--clearsign'], release, 'clear-signing (InRelease)');
      const releaseGpg = await this.gpg([...common, '--armor', '--detach-sign'], release, 'detach-signing (Release.gpg)');
      return { inRelease, releaseGpg };
    });
  }

  detachSign(data: Buffer): Promise<Buffer> {
    return oneAtATime(this.paths.home, async () => {
      const args = ['--local-user', `${this.fingerprint}!`, '--digest-algo', 'SHA256', '--output', '-', '--detach-sign'];
      try {
        return await gpgWithPassphraseFile(this.paths.home, this.paths.passwordFile, args, data);
      } catch (err) {
        throw new Error(`OpenPGP detach-signing (database) with key ${this.fingerprint} failed: ${(err as Error).message}`);
      }
    });
  }

  private async gpg(args: string[], input: Buffer, what: string): Promise<string> {
    try {
      return (await gpgWithPassphraseFile(this.paths.home, this.paths.passwordFile, args, input)).toString('utf8');
    } catch (err) {
      throw new Error(`OpenPGP ${what} with key ${this.fingerprint} failed: ${(err as Error).message}`);
    }
  }
}
