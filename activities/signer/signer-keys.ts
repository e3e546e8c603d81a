import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KilnError } from '../../domain/errors';
import {
  generateKeyPair, parseSecretKey, parsePublicKey, type KdfLimits, type MinisignPublicKey, type MinisignSecretKey,
} from '../../domain/signing/minisign';
import { KeyLock } from '../builder/key-lock';
import { ensureOpenPgpKey, loadOpenPgpKey, OPENPGP_FILES, type OpenPgpSignerKey } from './openpgp-key';
import { readRotation, rotationPaths, type RotationRecord } from './key-rotation';
import { readSecretFile, secretExists } from './secret-files';

// The final signing keys, as files in the signer's keys dir. Only the signer worker (and `kiln keys generate`,
// run on the signer's host) touches them.

export const KEY_FILES = {
  minisignKey: 'minisign.key',
  minisignPassword: 'minisign.password',
  minisignPub: 'minisign.pub',
  openpgpHome: OPENPGP_FILES.home,
  openpgpPassword: OPENPGP_FILES.password,
  openpgpKeyring: OPENPGP_FILES.keyring,
  openpgpArmoredKeyring: OPENPGP_FILES.armoredKeyring,
} as const;

export interface SignerKeys {
  minisign: MinisignSecretKey;
  minisignPublic: MinisignPublicKey;
  /** The text of minisign.pub, as read at load. */
  minisignPublicFile: string;
  /** The OpenPGP key (in its gpg home dir) with its binary public keyring, as read at load. */
  openpgp: OpenPgpSignerKey;
  /** During a key rotation (`kiln keys rotate`): the new key set, and when the rotation began. */
  next?: SignerKeySet & { rotation: RotationRecord };
}

/** One complete set of signing keys. */
export type SignerKeySet = Omit<SignerKeys, 'next'>;

export interface GeneratedSignerKeys {
  /** Whether any key was created by this call. */
  created: boolean;
  /** minisign.pub (the same as `minisign.publicKeyFile`; kept for existing callers). */
  publicKeyFile: string;
  minisign: { created: boolean; publicKeyFile: string };
  openpgp: { created: boolean; fingerprint: string; keyringFile: string; armoredKeyringFile: string };
}

export interface GenerateSignerKeysOptions {
  /** scrypt cost of the minisign key; defaults to minisign's own (seconds). Tests use KDF_LIMITS_INTERACTIVE. */
  kdfLimits?: KdfLimits;
  /** gpg-agent's S2K iteration count protecting the OpenPGP key; defaults to the agent's calibrated one. Tests use 65536. */
  openpgpS2kCount?: number;
  /** Where the password files go (`signer.passwordDir`); default: the keys dir. */
  passwordDir?: string;
}

/**
 * Create the keys that do not exist yet; never overwrites an existing key. A keys dir from before the OpenPGP key
 * gets only that key. Passwords are random, each in a 0600 file.
 */
export async function generateSignerKeys(keysDir: string, options: GenerateSignerKeysOptions = {}): Promise<GeneratedSignerKeys> {
  const passwordDir = options.passwordDir ?? keysDir;
  await fs.promises.mkdir(keysDir, { recursive: true, mode: 0o700 });
  await fs.promises.mkdir(passwordDir, { recursive: true, mode: 0o700 });
  // `kiln keys generate` and the embedded start may run at once: one creation at a time.
  const lockFile = path.join(keysDir, 'generate.lock');
  let lock: KeyLock | undefined;
  while (!(lock = await KeyLock.tryAcquire(lockFile))) await new Promise((r) => setTimeout(r, 200));
  try {
    const minisign = await ensureMinisignKey(keysDir, passwordDir, options.kdfLimits);
    const openpgp = await ensureOpenPgpKey(keysDir, { s2kCount: options.openpgpS2kCount, passwordDir });
    return {
      created: minisign.created || openpgp.created,
      publicKeyFile: minisign.publicKeyFile,
      minisign,
      openpgp: { created: openpgp.created, fingerprint: openpgp.fingerprint, keyringFile: openpgp.keyringFile, armoredKeyringFile: openpgp.armoredKeyringFile },
    };
  } finally {
    await lock.release();
  }
}

async function ensureMinisignKey(keysDir: string, passwordDir: string, kdfLimits: KdfLimits | undefined): Promise<{ created: boolean; publicKeyFile: string }> {
  const publicKeyFile = path.join(keysDir, KEY_FILES.minisignPub);
  if (secretExists(path.join(keysDir, KEY_FILES.minisignKey))) return { created: false, publicKeyFile };
  const password = Buffer.from(crypto.randomBytes(32).toString('base64url'));
  const pair = await generateKeyPair({ password, kdfLimits });
  await fs.promises.writeFile(path.join(passwordDir, KEY_FILES.minisignPassword), password, { mode: 0o600 });
  await fs.promises.writeFile(path.join(keysDir, KEY_FILES.minisignKey), pair.secretKeyFile, { mode: 0o600, flag: 'wx' });
  await fs.promises.writeFile(publicKeyFile, pair.publicKeyFile, { mode: 0o644 });
  return { created: true, publicKeyFile };
}

/**
 * Read and check the keys once, at signer start (a default minisign key costs seconds of scrypt; the OpenPGP key is
 * proven to sign with its passphrase file). Key and password files must be regular files (never followed through a
 * symlink), owned by the signer's user, mode 0600 or stricter: else SIGNER_KEY_PERMISSIONS. The password files are
 * in `passwordDir` (`signer.passwordDir`, default: the keys dir).
 */
export async function loadSignerKeys(keysDir: string, passwordDir: string = keysDir): Promise<SignerKeys> {
  const current = await loadKeySet(keysDir, passwordDir);
  const rotation = readRotation(keysDir);
  if (!rotation) return current;
  const next = rotationPaths(keysDir, passwordDir);
  const set = await loadKeySet(next.keysDir, next.passwordDir);
  if (set.minisign.keyIdHex !== rotation.minisignKeyId || set.openpgp.fingerprint !== rotation.openpgpFingerprint) {
    throw new KilnError('SIGNER_KEYS_MISSING', `the keys in ${next.keysDir} are not the ones ${rotation.startedAt}'s rotation made (minisign ${rotation.minisignKeyId}, OpenPGP ${rotation.openpgpFingerprint})`);
  }
  return { ...current, next: { ...set, rotation } };
}

async function loadKeySet(keysDir: string, passwordDir: string): Promise<SignerKeySet> {
  const read = (name: string) => {
    const file = path.join(keysDir, name);
    if (!fs.existsSync(file)) {
      throw new KilnError('SIGNER_KEYS_MISSING', `${file} does not exist: run \`kiln keys generate\` on the signer's host`);
    }
    return fs.readFileSync(file);
  };
  const passwordFile = path.join(passwordDir, KEY_FILES.minisignPassword);
  const password = secretExists(passwordFile) ? readSecretFile(passwordFile) : undefined;
  const minisign = await parseSecretKey(readSecretFile(path.join(keysDir, KEY_FILES.minisignKey)).toString('utf8'), password);
  const minisignPublicFile = read(KEY_FILES.minisignPub).toString('utf8');
  const minisignPublic = parsePublicKey(minisignPublicFile);
  if (minisignPublic.keyIdHex !== minisign.keyIdHex) {
    throw new KilnError('SIGNER_KEYS_MISSING', `${KEY_FILES.minisignPub} (key ${minisignPublic.keyIdHex}) does not belong to ${KEY_FILES.minisignKey} (key ${minisign.keyIdHex})`);
  }
  const openpgp = await loadOpenPgpKey(keysDir, passwordDir);
  return { minisign, minisignPublic, minisignPublicFile, openpgp };
}
