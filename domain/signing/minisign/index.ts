// minisign (https://jedisct1.github.io/minisign/) signing and verification, interoperable with the `minisign` CLI.
export { generateKeyPair, parsePublicKey, parseSecretKey, formatPublicKey, formatSecretKey } from './keys';
export type { MinisignPublicKey, MinisignSecretKey, GeneratedKeyPair, SecretKeyEncoding } from './keys';
export { sign, prehashMessage } from './sign';
export type { SignOptions } from './sign';
export { verify } from './verify';
export type { VerifyOptions, VerifiedSignature } from './verify';
export { KDF_LIMITS_SENSITIVE, KDF_LIMITS_INTERACTIVE, scryptParamsFromLimits } from './kdf';
export type { KdfLimits, ScryptParams } from './kdf';
