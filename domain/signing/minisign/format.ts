// The minisign wire format: byte layouts, comment prefixes and the strict text helpers every file type shares.
// Sizes and limits mirror the reference implementation (jedisct1/minisign, src/minisign.h) so that whatever Kiln
// writes, the `minisign` CLI reads, and the other way round.
import { KilnError, type ErrorCode } from '../../errors';

export const SIG_ALG_LEGACY = 'Ed';
export const SIG_ALG_PREHASHED = 'ED';
export const KDF_ALG_SCRYPT = 'Sc';
export const KDF_ALG_NONE = '\0\0';
export const CHK_ALG_BLAKE2B = 'B2';

export const KEY_ID_BYTES = 8;
export const PUBLIC_KEY_BYTES = 32;
export const SEED_BYTES = 32;
/** libsodium's Ed25519 secret key: the 32-byte seed followed by the 32-byte public key. */
export const SECRET_KEY_BYTES = 64;
export const SIGNATURE_BYTES = 64;
export const CHECKSUM_BYTES = 32;
export const KDF_SALT_BYTES = 32;

export const COMMENT_PREFIX = 'untrusted comment: ';
export const TRUSTED_COMMENT_PREFIX = 'trusted comment: ';
export const DEFAULT_SIGNATURE_COMMENT = 'signature from minisign secret key';
export const ENCRYPTED_SECRET_KEY_COMMENT = 'minisign encrypted secret key';
export const UNENCRYPTED_SECRET_KEY_COMMENT = 'minisign unencrypted secret key';

// The CLI reads lines with fgets into 1024- and 8192-byte buffers: a longer line is split and the file misparsed.
// Prefix + comment + '\n' must fit in buffer size - 1.
export const MAX_UNTRUSTED_COMMENT_BYTES = 1024 - 1 - COMMENT_PREFIX.length - 1;
export const MAX_TRUSTED_COMMENT_BYTES = 8192 - 1 - TRUSTED_COMMENT_PREFIX.length - 1;

/** Public key struct: sig_alg(2) keynum(8) pk(32). */
export const PUBLIC_KEY_STRUCT_BYTES = 2 + KEY_ID_BYTES + PUBLIC_KEY_BYTES;
/** Signature struct: sig_alg(2) keynum(8) sig(64). */
export const SIGNATURE_STRUCT_BYTES = 2 + KEY_ID_BYTES + SIGNATURE_BYTES;
/** The part of a secret key file that scrypt's stream encrypts: keynum(8) sk(64) chk(32). */
export const KEYNUM_SK_BYTES = KEY_ID_BYTES + SECRET_KEY_BYTES + CHECKSUM_BYTES;
/** Secret key struct: sig_alg(2) kdf_alg(2) chk_alg(2) salt(32) opslimit(8) memlimit(8) keynum_sk(104). */
export const SECRET_KEY_STRUCT_BYTES = 2 + 2 + 2 + KDF_SALT_BYTES + 8 + 8 + KEYNUM_SK_BYTES;

export function fail(code: ErrorCode, reason: string): never {
  throw new KilnError(code, reason);
}

/**
 * Decodes canonical, padded standard base64 only. Node's decoder silently skips junk characters, which would let a
 * corrupted line decode to something of the right length; re-encoding and comparing rules that out.
 */
export function decodeBase64Exact(text: string, expectedBytes: number): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== expectedBytes || bytes.toString('base64') !== text) return undefined;
  return bytes;
}

/** Splits a text file into lines the way the CLI's fgets + trim sees them: LF or CRLF, trailing blank lines ignored. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The key id as the CLI prints it: the 8 bytes read as a little-endian u64, in 16 upper-case hex digits. */
export function keyIdToHex(keyId: Buffer): string {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

/**
 * A comment the CLI can round-trip: one line (it strips CR/LF and its C strings stop at NUL) within its buffer size.
 * Misuse by the caller, so a plain RangeError rather than a coded error.
 */
export function checkComment(kind: string, comment: string, maxBytes: number): void {
  if (/[\r\n\0]/.test(comment)) throw new RangeError(`the ${kind} must be one line without NUL characters`);
  const bytes = Buffer.byteLength(comment, 'utf8');
  if (bytes > maxBytes) throw new RangeError(`the ${kind} is ${bytes} bytes; minisign allows at most ${maxBytes}`);
}
