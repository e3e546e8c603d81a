// Producing `.minisig` texts: an Ed25519 signature over the data (or its BLAKE2b-512 hash), plus the "global"
// signature over that signature and the trusted comment, which is what makes the trusted comment trusted.
import * as crypto from 'node:crypto';
import {
  COMMENT_PREFIX, DEFAULT_SIGNATURE_COMMENT, MAX_TRUSTED_COMMENT_BYTES, MAX_UNTRUSTED_COMMENT_BYTES,
  SIG_ALG_LEGACY, SIG_ALG_PREHASHED, TRUSTED_COMMENT_PREFIX, checkComment,
} from './format';
import { signDetached } from './ed25519';
import type { MinisignSecretKey } from './keys';

export interface SignOptions {
  /** Signed along with the data; `minisign -V` prints it. One line. */
  readonly trustedComment: string;
  /** Not signed; defaults to the CLI's "signature from minisign secret key". One line. */
  readonly untrustedComment?: string;
  /**
   * Sign BLAKE2b-512(data) (`ED`, the CLI's default since 0.10) rather than the data itself (legacy `Ed`, `minisign -l`).
   * Default true.
   */
  readonly prehash?: boolean;
}

/** The BLAKE2b-512 digest that prehashed (`ED`) signatures sign; Node's OpenSSL has this one natively. */
export function prehashMessage(data: Uint8Array): Buffer {
  return crypto.createHash('blake2b512').update(data).digest();
}

/** Signs `data`, returning the full text of its `.minisig` file. */
export function sign(data: Uint8Array, secretKey: MinisignSecretKey, options: SignOptions): string {
  const { trustedComment, untrustedComment = DEFAULT_SIGNATURE_COMMENT, prehash = true } = options;
  checkComment('trusted comment', trustedComment, MAX_TRUSTED_COMMENT_BYTES);
  checkComment('untrusted comment', untrustedComment, MAX_UNTRUSTED_COMMENT_BYTES);
  const signature = signDetached(prehash ? prehashMessage(data) : data, secretKey.privateKey);
  const struct = Buffer.concat([
    Buffer.from(prehash ? SIG_ALG_PREHASHED : SIG_ALG_LEGACY, 'latin1'), secretKey.keyId, signature,
  ]);
  const globalSignature = signDetached(Buffer.concat([signature, Buffer.from(trustedComment, 'utf8')]), secretKey.privateKey);
  return `${COMMENT_PREFIX}${untrustedComment}\n${struct.toString('base64')}\n`
    + `${TRUSTED_COMMENT_PREFIX}${trustedComment}\n${globalSignature.toString('base64')}\n`;
}
