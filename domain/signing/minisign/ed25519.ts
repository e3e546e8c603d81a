// Raw Ed25519 keys <-> Node KeyObjects. minisign stores raw 32-byte keys; Node wants DER, and these fixed prefixes
// (RFC 8410) are the whole difference for Ed25519.
import * as crypto from 'node:crypto';
import { PUBLIC_KEY_BYTES, SEED_BYTES } from './format';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function privateKeyFromSeed(seed: Buffer): crypto.KeyObject {
  if (seed.length !== SEED_BYTES) throw new RangeError('an Ed25519 seed is 32 bytes');
  const der = Buffer.concat([PKCS8_PREFIX, seed]);
  try {
    return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0); // the KeyObject holds its own copy; don't leave the seed in the JS heap
  }
}

export function publicKeyFromRaw(raw: Buffer): crypto.KeyObject {
  if (raw.length !== PUBLIC_KEY_BYTES) throw new RangeError('an Ed25519 public key is 32 bytes');
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function rawPublicKey(key: crypto.KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

export function rawSeed(key: crypto.KeyObject): Buffer {
  return key.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
}

export function signDetached(message: Uint8Array, key: crypto.KeyObject): Buffer {
  return crypto.sign(null, message, key);
}

export function verifyDetached(message: Uint8Array, signature: Buffer, key: crypto.KeyObject): boolean {
  return crypto.verify(null, message, key, signature);
}
