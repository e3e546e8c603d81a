// minisign key files: generating a pair, reading and writing `.pub` and `.key` texts, and the scrypt encryption of
// secret keys. Byte layouts follow jedisct1/minisign's PubkeyStruct and SeckeyStruct.
import * as crypto from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2';
import {
  CHECKSUM_BYTES, CHK_ALG_BLAKE2B, COMMENT_PREFIX, ENCRYPTED_SECRET_KEY_COMMENT, KDF_ALG_NONE, KDF_ALG_SCRYPT,
  KDF_SALT_BYTES, KEYNUM_SK_BYTES, KEY_ID_BYTES, PUBLIC_KEY_STRUCT_BYTES, SECRET_KEY_BYTES,
  SECRET_KEY_STRUCT_BYTES, SEED_BYTES, SIG_ALG_LEGACY, UNENCRYPTED_SECRET_KEY_COMMENT, decodeBase64Exact, fail,
  keyIdToHex, splitLines,
} from './format';
import { KDF_LIMITS_SENSITIVE, deriveKeystream, type KdfLimits } from './kdf';
import { privateKeyFromSeed, rawPublicKey, rawSeed } from './ed25519';

export interface MinisignPublicKey {
  /** The 8 key id bytes as stored in keys and signatures. */
  readonly keyId: Buffer;
  /** The key id as the CLI prints it (`minisign public key 266CEA3E4AC19FC3`). */
  readonly keyIdHex: string;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  /** The base64 line of the `.pub` file: what `minisign -V -P` takes. */
  readonly base64: string;
}

export interface MinisignSecretKey {
  readonly keyId: Buffer;
  readonly keyIdHex: string;
  readonly publicKey: MinisignPublicKey;
  /** A Node KeyObject: it prints and serialises without its key material, so logging it leaks nothing. */
  readonly privateKey: crypto.KeyObject;
}

export interface SecretKeyEncoding {
  /** Encrypt the key with this password (scrypt). Without one the key is stored unencrypted, like `minisign -W`. */
  readonly password?: Buffer;
  /** scrypt cost; defaults to minisign's own (KDF_LIMITS_SENSITIVE). Stored in the file, so any value stays readable. */
  readonly kdfLimits?: KdfLimits;
}

export interface GeneratedKeyPair {
  readonly publicKey: MinisignPublicKey;
  /** Already decrypted, so the caller can sign without paying for the scrypt derivation again. */
  readonly secretKey: MinisignSecretKey;
  /** The full text of the `.key` file. */
  readonly secretKeyFile: string;
  /** The full text of the `.pub` file. */
  readonly publicKeyFile: string;
}

// The CLI reads passwords with fgets into a 1024-byte buffer, strips CR/LF and stops at NUL: any other password could
// encrypt a key that the CLI can never open.
const MAX_PASSWORD_BYTES = 1023;

function checkPassword(password: Buffer): void {
  if (password.length === 0) throw new RangeError('an empty password: pass no password for an unencrypted key');
  if (password.length > MAX_PASSWORD_BYTES) throw new RangeError(`minisign passwords are at most ${MAX_PASSWORD_BYTES} bytes`);
  if (password.includes(0) || password.includes(0x0a) || password.includes(0x0d)) {
    throw new RangeError('minisign passwords cannot contain NUL, CR or LF bytes');
  }
}

function makePublicKey(keyId: Buffer, publicKey: Buffer): MinisignPublicKey {
  const struct = Buffer.concat([Buffer.from(SIG_ALG_LEGACY, 'latin1'), keyId, publicKey]);
  return { keyId: Buffer.from(keyId), keyIdHex: keyIdToHex(keyId), publicKey: Buffer.from(publicKey), base64: struct.toString('base64') };
}

/** BLAKE2b-256 over sig_alg || key id || secret key, the reference's seckey_compute_chk(). */
function secretKeyChecksum(keyId: Buffer, secretKey: Buffer): Buffer {
  const input = Buffer.concat([Buffer.from(SIG_ALG_LEGACY, 'latin1'), keyId, secretKey]);
  const chk = Buffer.from(blake2b(input, { dkLen: CHECKSUM_BYTES }));
  input.fill(0);
  return chk;
}

function xorInPlace(target: Buffer, stream: Buffer): void {
  for (let i = 0; i < target.length; i++) target[i] ^= stream[i];
}

export function formatPublicKey(publicKey: MinisignPublicKey): string {
  // The CLI prints the id with printf's %" PRIX64 ": no leading zeros (1 key in 16 has one).
  return `${COMMENT_PREFIX}minisign public key ${publicKey.keyIdHex.replace(/^0+(?=.)/, '')}\n${publicKey.base64}\n`;
}

/** Reads a `.pub` file, or the bare base64 line that `minisign -P` takes. */
export function parsePublicKey(text: string): MinisignPublicKey {
  const lines = splitLines(text);
  let line: string | undefined;
  if (lines.length === 1 && !lines[0].startsWith(COMMENT_PREFIX)) line = lines[0].trim();
  else if (lines.length === 2 && lines[0].startsWith(COMMENT_PREFIX)) line = lines[1];
  if (line === undefined) {
    fail('MINISIGN_KEY_INVALID', `a minisign public key is a "${COMMENT_PREFIX}" line and a base64 line`);
  }
  const struct = decodeBase64Exact(line, PUBLIC_KEY_STRUCT_BYTES);
  if (!struct) fail('MINISIGN_KEY_INVALID', `the public key line is not ${PUBLIC_KEY_STRUCT_BYTES} bytes of base64`);
  if (struct.toString('latin1', 0, 2) !== SIG_ALG_LEGACY) {
    fail('MINISIGN_KEY_INVALID', 'the public key\'s signature algorithm is not Ed25519 ("Ed")');
  }
  return makePublicKey(struct.subarray(2, 2 + KEY_ID_BYTES), struct.subarray(2 + KEY_ID_BYTES));
}

/** Writes a `.key` file for a secret key, encrypted when a password is given. */
export async function formatSecretKey(secretKey: MinisignSecretKey, encoding: SecretKeyEncoding = {}): Promise<string> {
  const { password } = encoding;
  if (password !== undefined) checkPassword(password);
  const limits = encoding.kdfLimits ?? KDF_LIMITS_SENSITIVE;
  const seed = rawSeed(secretKey.privateKey);
  const sk = Buffer.concat([seed, secretKey.publicKey.publicKey]);
  // keynum_sk = key id || sk || checksum. The CLI leaves the checksum zero for -W keys (and never checks it there);
  // Kiln always fills it so corruption of its own unencrypted keys is caught too.
  const keynumSk = Buffer.concat([secretKey.keyId, sk, secretKeyChecksum(secretKey.keyId, sk)]);
  const salt = Buffer.alloc(KDF_SALT_BYTES);
  const limitsBytes = Buffer.alloc(16);
  if (password !== undefined) {
    crypto.randomFillSync(salt);
    limitsBytes.writeBigUInt64LE(limits.opsLimit, 0);
    limitsBytes.writeBigUInt64LE(limits.memLimit, 8);
    const stream = await deriveKeystream(password, salt, limits, KEYNUM_SK_BYTES);
    xorInPlace(keynumSk, stream);
    stream.fill(0);
  }
  const struct = Buffer.concat([
    Buffer.from(SIG_ALG_LEGACY, 'latin1'),
    Buffer.from(password !== undefined ? KDF_ALG_SCRYPT : KDF_ALG_NONE, 'latin1'),
    Buffer.from(CHK_ALG_BLAKE2B, 'latin1'),
    salt, limitsBytes, keynumSk,
  ]);
  const comment = password !== undefined ? ENCRYPTED_SECRET_KEY_COMMENT : UNENCRYPTED_SECRET_KEY_COMMENT;
  const text = `${COMMENT_PREFIX}${comment}\n${struct.toString('base64')}\n`;
  for (const b of [seed, sk, keynumSk, struct]) b.fill(0);
  return text;
}

/**
 * Reads a `.key` file. Encrypted keys need the password: a wrong one fails the checksum (MINISIGN_PASSWORD_WRONG).
 * The scrypt derivation is asynchronous (libuv thread pool) and costs ~2-4 s at minisign's default limits.
 */
export async function parseSecretKey(text: string, password?: Buffer): Promise<MinisignSecretKey> {
  const lines = splitLines(text);
  if (lines.length !== 2 || !lines[0].startsWith(COMMENT_PREFIX)) {
    fail('MINISIGN_KEY_INVALID', `a minisign secret key is a "${COMMENT_PREFIX}" line and a base64 line`);
  }
  const struct = decodeBase64Exact(lines[1], SECRET_KEY_STRUCT_BYTES);
  if (!struct) fail('MINISIGN_KEY_INVALID', `the secret key line is not ${SECRET_KEY_STRUCT_BYTES} bytes of base64`);
  try {
    const sigAlg = struct.toString('latin1', 0, 2);
    const kdfAlg = struct.toString('latin1', 2, 4);
    const chkAlg = struct.toString('latin1', 4, 6);
    if (sigAlg !== SIG_ALG_LEGACY) fail('MINISIGN_KEY_INVALID', 'the secret key\'s signature algorithm is not Ed25519 ("Ed")');
    if (chkAlg !== CHK_ALG_BLAKE2B) fail('MINISIGN_KEY_INVALID', 'the secret key\'s checksum algorithm is not BLAKE2b ("B2")');
    if (kdfAlg !== KDF_ALG_SCRYPT && kdfAlg !== KDF_ALG_NONE) {
      fail('MINISIGN_KEY_INVALID', 'the secret key\'s key derivation is neither scrypt ("Sc") nor none');
    }
    let offset = 6;
    const salt = struct.subarray(offset, (offset += KDF_SALT_BYTES));
    const opsLimit = struct.readBigUInt64LE(offset);
    const memLimit = struct.readBigUInt64LE(offset + 8);
    offset += 16;
    const keynumSk = struct.subarray(offset, offset + KEYNUM_SK_BYTES);
    const encrypted = kdfAlg === KDF_ALG_SCRYPT;
    if (encrypted) {
      // An empty Buffer is a real password here: the CLI lets one encrypt a key with an empty password.
      if (password === undefined) fail('MINISIGN_PASSWORD_WRONG', 'the secret key is encrypted and no password was given');
      const stream = await deriveKeystream(password, salt, { opsLimit, memLimit }, KEYNUM_SK_BYTES);
      xorInPlace(keynumSk, stream);
      stream.fill(0);
    }
    const keyId = keynumSk.subarray(0, KEY_ID_BYTES);
    const sk = keynumSk.subarray(KEY_ID_BYTES, KEY_ID_BYTES + SECRET_KEY_BYTES);
    const storedChk = keynumSk.subarray(KEY_ID_BYTES + SECRET_KEY_BYTES);
    const chk = secretKeyChecksum(keyId, sk);
    const chkMatches = crypto.timingSafeEqual(chk, storedChk);
    chk.fill(0);
    if (encrypted && !chkMatches) fail('MINISIGN_PASSWORD_WRONG', 'wrong password for that minisign secret key');
    // `minisign -G -W` writes an all-zero checksum; any other value must be right.
    if (!encrypted && !chkMatches && storedChk.some((b) => b !== 0)) {
      fail('MINISIGN_KEY_INVALID', 'the unencrypted secret key fails its checksum (corrupted)');
    }
    const privateKey = privateKeyFromSeed(sk.subarray(0, SEED_BYTES));
    const derivedPublic = rawPublicKey(crypto.createPublicKey(privateKey));
    // libsodium's secret key embeds the public key; a mismatch means a damaged or hand-made file.
    if (!derivedPublic.equals(sk.subarray(SEED_BYTES))) {
      fail('MINISIGN_KEY_INVALID', 'the secret key\'s embedded public key does not match its seed');
    }
    const publicKey = makePublicKey(keyId, derivedPublic);
    return { keyId: publicKey.keyId, keyIdHex: publicKey.keyIdHex, publicKey, privateKey };
  } finally {
    struct.fill(0);
  }
}

/** A fresh key pair with a random 8-byte key id, as `minisign -G` makes (`-W` when no password is given). */
export async function generateKeyPair(options: SecretKeyEncoding = {}): Promise<GeneratedKeyPair> {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const keyId = crypto.randomBytes(KEY_ID_BYTES);
  const publicKey = makePublicKey(keyId, rawPublicKey(crypto.createPublicKey(privateKey)));
  const secretKey: MinisignSecretKey = { keyId: publicKey.keyId, keyIdHex: publicKey.keyIdHex, publicKey, privateKey };
  const secretKeyFile = await formatSecretKey(secretKey, options);
  return { publicKey, secretKey, secretKeyFile, publicKeyFile: formatPublicKey(publicKey) };
}
