// The key-derivation step of encrypted minisign secret keys: libsodium's crypto_pwhash_scryptsalsa208sha256, which
// turns the (opslimit, memlimit) pair stored in the key file into scrypt's N, r, p. Node's crypto.scrypt runs on the
// libuv thread pool, so a ~4 s derivation never blocks the event loop.
import * as crypto from 'node:crypto';
import { fail } from './format';

/** The two cost numbers a minisign key file stores (little-endian u64 each). */
export interface KdfLimits {
  readonly opsLimit: bigint;
  readonly memLimit: bigint;
}

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * What `minisign -G` uses: libsodium's OPSLIMIT_SENSITIVE / MEMLIMIT_SENSITIVE, i.e. N = 2^20, r = 8, p = 1, 1 GiB of
 * memory and about 2-4 s. Kiln's default for keys it generates.
 */
export const KDF_LIMITS_SENSITIVE: KdfLimits = { opsLimit: 33_554_432n, memLimit: 1_073_741_824n };

/**
 * libsodium's OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE: N = 2^14, r = 8, p = 1, 16 MiB, tens of milliseconds.
 * The limits travel inside the key file, so such a key is still a valid minisign key (the CLI decrypts it); meant for
 * tests, where the sensitive cost would make every case take seconds.
 */
export const KDF_LIMITS_INTERACTIVE: KdfLimits = { opsLimit: 524_288n, memLimit: 16_777_216n };

// A hostile or corrupted key file could ask for any cost; refuse above twice the CLI's default memory x work.
const MAX_SCRYPT_BYTES = 2n * 1024n * 1024n * 1024n;

/** libsodium's pickparams(), in exact unsigned 64-bit integer arithmetic so the CLI and Kiln agree on N, r, p. */
export function scryptParamsFromLimits(limits: KdfLimits): ScryptParams {
  const { memLimit } = limits;
  const opsLimit = limits.opsLimit < 32_768n ? 32_768n : limits.opsLimit;
  const r = 8n;
  let nLog2: bigint;
  let p: bigint;
  const pickLog2 = (maxN: bigint): bigint => {
    let log2 = 1n;
    while (log2 < 63n && 1n << log2 <= maxN / 2n) log2 += 1n;
    return log2;
  };
  if (opsLimit < memLimit / 32n) {
    p = 1n;
    nLog2 = pickLog2(opsLimit / (r * 4n));
  } else {
    nLog2 = pickLog2(memLimit / (r * 128n));
    let maxrp = opsLimit / 4n / (1n << nLog2);
    if (maxrp > 0x3fff_ffffn) maxrp = 0x3fff_ffffn;
    p = maxrp / r;
  }
  const N = 1n << nLog2;
  // libsodium's scrypt refuses p = 0 too, so the CLI could not open such a key either.
  if (p < 1n) fail('MINISIGN_KEY_INVALID', 'the secret key\'s scrypt limits give a parallelism of 0');
  if (128n * N * r * p > MAX_SCRYPT_BYTES) {
    fail('MINISIGN_KEY_INVALID',
      `the secret key asks for scrypt N=2^${nLog2}, r=${r}, p=${p}: more than Kiln accepts (2x minisign's default)`);
  }
  return { N: Number(N), r: Number(r), p: Number(p) };
}

/** The keystream that is XORed over the key id, secret key and checksum of an encrypted key file. */
export function deriveKeystream(password: Buffer, salt: Buffer, limits: KdfLimits, length: number): Promise<Buffer> {
  const { N, r, p } = scryptParamsFromLimits(limits);
  // OpenSSL's EVP_PBE_scrypt needs 128*r*(N+2) bytes for V plus 128*r*p for B; the default 32 MiB is far too little.
  const maxmem = 128 * r * (N + p + 2) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    crypto.scrypt(password, salt, length, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
