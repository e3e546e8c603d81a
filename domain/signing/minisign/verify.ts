// Checking `.minisig` texts the way `minisign -V` does: algorithm, key id, the signature over the data, then the
// global signature that binds the trusted comment. Every failure is MINISIGN_SIGNATURE_INVALID with the reason.
import {
  COMMENT_PREFIX, KEY_ID_BYTES, SIGNATURE_BYTES, SIGNATURE_STRUCT_BYTES, SIG_ALG_LEGACY, SIG_ALG_PREHASHED,
  TRUSTED_COMMENT_PREFIX, decodeBase64Exact, fail, keyIdToHex, splitLines,
} from './format';
import { publicKeyFromRaw, verifyDetached } from './ed25519';
import { parsePublicKey, type MinisignPublicKey } from './keys';
import { prehashMessage } from './sign';

export interface VerifyOptions {
  /** Accept legacy (`Ed`, non-prehashed) signatures. Default true, like the CLI without -H. */
  readonly allowLegacy?: boolean;
}

export interface VerifiedSignature {
  readonly trustedComment: string;
  /** Not covered by any signature: display only. */
  readonly untrustedComment: string;
  readonly keyIdHex: string;
  readonly prehashed: boolean;
}

function invalid(reason: string): never {
  fail('MINISIGN_SIGNATURE_INVALID', reason);
}

interface ParsedSignature {
  readonly untrustedComment: string;
  readonly prehashed: boolean;
  readonly keyId: Buffer;
  readonly signature: Buffer;
  readonly trustedComment: string;
  readonly globalSignature: Buffer;
}

function parseSignature(text: string): ParsedSignature {
  const lines = splitLines(text);
  if (lines.length !== 4) invalid(`a minisig file has 4 lines, this one has ${lines.length}`);
  const [commentLine, structLine, trustedLine, globalLine] = lines;
  if (!commentLine.startsWith(COMMENT_PREFIX)) invalid(`the first line does not start with "${COMMENT_PREFIX}"`);
  if (!trustedLine.startsWith(TRUSTED_COMMENT_PREFIX)) invalid(`the third line does not start with "${TRUSTED_COMMENT_PREFIX}"`);
  const struct = decodeBase64Exact(structLine, SIGNATURE_STRUCT_BYTES);
  if (!struct) invalid(`the signature line is not ${SIGNATURE_STRUCT_BYTES} bytes of base64`);
  const globalSignature = decodeBase64Exact(globalLine, SIGNATURE_BYTES);
  if (!globalSignature) invalid(`the global signature line is not ${SIGNATURE_BYTES} bytes of base64`);
  const alg = struct.toString('latin1', 0, 2);
  if (alg !== SIG_ALG_LEGACY && alg !== SIG_ALG_PREHASHED) invalid(`unsupported signature algorithm ${JSON.stringify(alg)}`);
  return {
    untrustedComment: commentLine.slice(COMMENT_PREFIX.length),
    prehashed: alg === SIG_ALG_PREHASHED,
    keyId: struct.subarray(2, 2 + KEY_ID_BYTES),
    signature: struct.subarray(2 + KEY_ID_BYTES),
    trustedComment: trustedLine.slice(TRUSTED_COMMENT_PREFIX.length),
    globalSignature,
  };
}

/**
 * Verifies `signatureText` (a `.minisig` file) over `data` with `publicKey` (a parsed key or `.pub` text).
 * Returns the now-trusted comment; throws KilnError MINISIGN_SIGNATURE_INVALID otherwise.
 */
export function verify(
  data: Uint8Array, signatureText: string, publicKey: MinisignPublicKey | string, options: VerifyOptions = {},
): VerifiedSignature {
  const key = typeof publicKey === 'string' ? parsePublicKey(publicKey) : publicKey;
  const sig = parseSignature(signatureText);
  if (!sig.prehashed && options.allowLegacy === false) invalid('legacy (non-prehashed) signature found');
  if (!sig.keyId.equals(key.keyId)) {
    invalid(`the signature's key id is ${keyIdToHex(sig.keyId)} but the public key's is ${key.keyIdHex}`);
  }
  const nodeKey = publicKeyFromRaw(key.publicKey);
  if (!verifyDetached(sig.prehashed ? prehashMessage(data) : data, sig.signature, nodeKey)) {
    invalid('the signature does not match the data');
  }
  const signed = Buffer.concat([sig.signature, Buffer.from(sig.trustedComment, 'utf8')]);
  if (!verifyDetached(signed, sig.globalSignature, nodeKey)) {
    invalid('the global signature does not match the trusted comment');
  }
  return { trustedComment: sig.trustedComment, untrustedComment: sig.untrustedComment, keyIdHex: key.keyIdHex, prehashed: sig.prehashed };
}
