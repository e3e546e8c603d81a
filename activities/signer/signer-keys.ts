import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KilnError } from '../../domain/errors';
import {
  generateKeyPair, parseSecretKey, parsePublicKey, type KdfLimits, type MinisignPublicKey, type MinisignSecretKey,
} from '../../domain/signing/minisign';

// The final signing keys, as files in the signer's keys dir. Only the signer worker (and `kiln keys generate`,
// run on the signer's host) touches them.

export const KEY_FILES = {
  minisignKey: 'minisign.key',
  minisignPassword: 'minisign.password',
  minisignPub: 'minisign.pub',
} as const;

export interface SignerKeys {
  minisign: MinisignSecretKey;
  minisignPublic: MinisignPublicKey;
}

/** Create the keys if there are none; never overwrites an existing key. The password is random, in a 0600 file. */
export async function generateSignerKeys(keysDir: string, options: { kdfLimits?: KdfLimits } = {}): Promise<{ created: boolean; publicKeyFile: string }> {
  const publicKeyFile = path.join(keysDir, KEY_FILES.minisignPub);
  if (fs.existsSync(path.join(keysDir, KEY_FILES.minisignKey))) return { created: false, publicKeyFile };
  await fs.promises.mkdir(keysDir, { recursive: true, mode: 0o700 });
  const password = Buffer.from(crypto.randomBytes(32).toString('base64url'));
  const pair = await generateKeyPair({ password, kdfLimits: options.kdfLimits });
  await fs.promises.writeFile(path.join(keysDir, KEY_FILES.minisignPassword), password, { mode: 0o600 });
  await fs.promises.writeFile(path.join(keysDir, KEY_FILES.minisignKey), pair.secretKeyFile, { mode: 0o600, flag: 'wx' });
  await fs.promises.writeFile(publicKeyFile, pair.publicKeyFile, { mode: 0o644 });
  return { created: true, publicKeyFile };
}

/** Read and decrypt the keys once, at signer start (a default minisign key costs seconds of scrypt). */
export async function loadSignerKeys(keysDir: string): Promise<SignerKeys> {
  const read = (name: string) => {
    const file = path.join(keysDir, name);
    if (!fs.existsSync(file)) {
      throw new KilnError('SIGNER_KEYS_MISSING', `${file} does not exist: run \`kiln keys generate\` on the signer's host`);
    }
    return fs.readFileSync(file);
  };
  const password = fs.existsSync(path.join(keysDir, KEY_FILES.minisignPassword))
    ? read(KEY_FILES.minisignPassword)
    : undefined;
  const minisign = await parseSecretKey(read(KEY_FILES.minisignKey).toString('utf8'), password);
  const minisignPublic = parsePublicKey(read(KEY_FILES.minisignPub).toString('utf8'));
  if (minisignPublic.keyIdHex !== minisign.keyIdHex) {
    throw new KilnError('SIGNER_KEYS_MISSING', `${KEY_FILES.minisignPub} (key ${minisignPublic.keyIdHex}) does not belong to ${KEY_FILES.minisignKey} (key ${minisign.keyIdHex})`);
  }
  return { minisign, minisignPublic };
}
