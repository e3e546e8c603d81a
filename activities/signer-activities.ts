import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { sign } from '../domain/signing/minisign';
import type { SignerKeys } from './signer/signer-keys';

export interface SignRequest {
  /** The small index file to sign (a Release file), never the repository. */
  release: string;
  /** Names what is signed, e.g. tree, branch, snapshot and commit: it is covered by the signature. */
  trustedComment: string;
}

export interface SignResult {
  /** minisign signature of the Release text (prehashed), carrying the trusted comment. */
  minisig: string;
  /** The minisign key id, as `minisign` prints it. */
  keyId: string;
  /** The clear-signed Release: publish it as InRelease. */
  inRelease: string;
  /** An armored detached OpenPGP signature of the Release text: publish it as Release.gpg. */
  releaseGpg: string;
  /** The OpenPGP key's fingerprint (40 hex digits, upper case). */
  openpgpFingerprint: string;
  /** The public keys, so the orchestrator can publish them without reading the signer's keys dir. */
  publicKeys: {
    /** The text of minisign.pub. */
    minisignPub: string;
    /** kiln-archive-keyring.gpg (binary, what apt's `signed-by=` takes), base64. */
    openpgpKeyringBase64: string;
  };
}

const MAX_RELEASE_BYTES = 4 * 1024 * 1024;

/** Activities of the signer worker (task queue `sign`): the only code that holds the final keys. */
export function createSignerActivities(keys: SignerKeys, keysDir: string) {
  return {
    async signRelease(request: SignRequest): Promise<SignResult> {
      if (typeof request?.release !== 'string' || typeof request.trustedComment !== 'string') {
        throw ApplicationFailure.nonRetryable('a sign request needs a release text and a trusted comment', 'SIGN_REQUEST_INVALID');
      }
      const data = Buffer.from(request.release, 'utf8');
      if (data.length === 0 || data.length > MAX_RELEASE_BYTES) {
        throw ApplicationFailure.nonRetryable(`the release to sign must be 1 byte to ${MAX_RELEASE_BYTES} bytes, got ${data.length}`, 'SIGN_REQUEST_INVALID');
      }
      let minisig: string;
      try {
        minisig = sign(data, keys.minisign, { trustedComment: request.trustedComment, prehash: true });
      } catch (err) {
        // A comment the format cannot carry (newlines, too long): the caller's mistake, not worth a retry.
        throw ApplicationFailure.nonRetryable(`cannot sign: ${(err as Error).message}`, 'SIGN_REQUEST_INVALID');
      }
      // gpg failing (agent, disk) is worth a retry: a plain error.
      const { inRelease, releaseGpg } = await keys.openpgp.signRelease(data);
      const audit = {
        at: new Date().toISOString(),
        keyId: keys.minisign.keyIdHex,
        openpgpFingerprint: keys.openpgp.fingerprint,
        sha256: crypto.createHash('sha256').update(data).digest('hex'),
        bytes: data.length,
        trustedComment: request.trustedComment,
      };
      await fs.promises.appendFile(path.join(keysDir, 'audit.log'), JSON.stringify(audit) + '\n', { mode: 0o600 });
      return {
        minisig,
        keyId: keys.minisign.keyIdHex,
        inRelease,
        releaseGpg,
        openpgpFingerprint: keys.openpgp.fingerprint,
        publicKeys: { minisignPub: keys.minisignPublicFile, openpgpKeyringBase64: keys.openpgp.keyring.toString('base64') },
      };
    },
  };
}

export type SignerActivities = ReturnType<typeof createSignerActivities>;
