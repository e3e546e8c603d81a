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
  minisig: string;
  keyId: string;
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
      const audit = {
        at: new Date().toISOString(),
        keyId: keys.minisign.keyIdHex,
        sha256: crypto.createHash('sha256').update(data).digest('hex'),
        bytes: data.length,
        trustedComment: request.trustedComment,
      };
      await fs.promises.appendFile(path.join(keysDir, 'audit.log'), JSON.stringify(audit) + '\n', { mode: 0o600 });
      return { minisig, keyId: keys.minisign.keyIdHex };
    },
  };
}

export type SignerActivities = ReturnType<typeof createSignerActivities>;
