import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAgent } from '../../../activities/openpgp/gpg';
import { createSignerActivities, type SignResult } from '../../../activities/signer-activities';
import { finishRotation, readRotation, startRotation } from '../../../activities/signer/key-rotation';
import { generateSignerKeys, loadSignerKeys } from '../../../activities/signer/signer-keys';
import { KDF_LIMITS_INTERACTIVE } from '../../../domain/signing/minisign';
import { signerConfig, signRequest } from './sign-requests';

// A key rotation, checked by the reference tools: gpgv with one key's keyring (as apt runs it) and the minisign CLI.
// During the overlap both OpenPGP keys sign and the published keyring holds both; after it, the signer retires the old
// keys by itself at its next signature.
const FAST = { kdfLimits: KDF_LIMITS_INTERACTIVE, openpgpS2kCount: 65536 };
const DAY = 86_400_000;

describe('key rotation', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-rotation-'));
  const verifyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-gpgv-'));
  const files = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-rotation-files-'));
  afterAll(async () => {
    for (const home of [path.join(dir, 'openpgp'), path.join(dir, 'next', 'openpgp')]) await stopAgent(home);
    for (const d of [dir, verifyHome, files]) fs.rmSync(d, { recursive: true, force: true });
  });

  const write = (name: string, data: string | Buffer) => { const f = path.join(files, name); fs.writeFileSync(f, data); return f; };
  /**
   * gpgv with only `keyring` trusted: the fingerprints of the good signatures. gpgv exits 2 when another signature's
   * key is unknown (NO_PUBKEY); apt, like this, accepts a file with a good signature by a trusted key and no bad one.
   */
  const goodSigners = (keyring: Buffer, ...signed: Array<[string, string | Buffer]>): string[] => {
    const args = ['--homedir', verifyHome, '--status-fd', '1', '--keyring', write('keyring.gpg', keyring), ...signed.map(([n, d]) => write(n, d))];
    const run = spawnSync('gpgv', args, { encoding: 'utf8' });
    if (!/^\[GNUPG:\] VALIDSIG /m.test(run.stdout) || /^\[GNUPG:\] BADSIG /m.test(run.stdout)) throw new Error(`gpgv refused: ${run.stdout}${run.stderr}`);
    return [...run.stdout.matchAll(/^\[GNUPG:\] VALIDSIG ([0-9A-F]{40})/gm)].map((m) => m[1]);
  };
  const minisignVerifies = (result: SignResult, release: string, pub: string) =>
    spawnSync('minisign', ['-V', '-m', write('Release', release), '-x', write('Release.minisig', result.minisig), '-p', write('minisign.pub', pub)], { encoding: 'utf8' });
  const keyringFingerprints = (keyring: Buffer) =>
    [...execFileSync('gpg', ['--homedir', verifyHome, '--with-colons', '--show-keys'], { input: keyring, encoding: 'utf8' }).matchAll(/^fpr:+([0-9A-F]{40}):/gm)].map((m) => m[1]);

  it('signs with both keys during the overlap, with the new one alone after it, and retires the old keys by itself', async () => {
    await generateSignerKeys(dir, FAST);
    const old = await loadSignerKeys(dir);
    const config = signerConfig(dir);
    let now = Date.UTC(2026, 11, 1);
    const signer = createSignerActivities(old, config, { now: () => now });

    const before = await signer.signRelease(signRequest(1));
    expect(before.openpgpFingerprints).toEqual([old.openpgp.fingerprint]);
    expect(before.minisig).toContain(`key:${old.minisign.keyIdHex}`);

    const record = await startRotation(dir, dir, async (d, p) => {
      await generateSignerKeys(d, { ...FAST, passwordDir: p });
      const made = await loadSignerKeys(d, p);
      return { minisignKeyId: made.minisign.keyIdHex, openpgpFingerprint: made.openpgp.fingerprint };
    }, () => now);
    expect(record.openpgpFingerprint).not.toBe(old.openpgp.fingerprint);
    await expect(startRotation(dir, dir, async () => { throw new Error('must not be called'); })).rejects.toThrow(/a key rotation is under way/);
    const oldKeyring = old.openpgp.keyring;
    const newKeyring = fs.readFileSync(path.join(dir, 'next', 'kiln-archive-keyring.gpg'));
    const newMinisignPub = fs.readFileSync(path.join(dir, 'next', 'minisign.pub'), 'utf8');

    // The overlap: the running signer picks the rotation up by itself.
    now += 10 * DAY;
    const request = signRequest(2);
    const during = await signer.signRelease(request);
    expect(during.openpgpFingerprints).toEqual([old.openpgp.fingerprint, record.openpgpFingerprint]);
    expect(keyringFingerprints(Buffer.from(during.publicKeys.openpgpKeyringBase64, 'base64'))).toEqual([old.openpgp.fingerprint, record.openpgpFingerprint]);
    // A client that trusts only the old key, and one that trusts only the new key, both accept InRelease and Release.gpg.
    expect(goodSigners(oldKeyring, ['InRelease', during.inRelease])).toEqual([old.openpgp.fingerprint]);
    expect(goodSigners(newKeyring, ['InRelease', during.inRelease])).toEqual([record.openpgpFingerprint]);
    expect(goodSigners(oldKeyring, ['Release.gpg', during.releaseGpg], ['Release', request.release])).toEqual([old.openpgp.fingerprint]);
    expect(goodSigners(newKeyring, ['Release.gpg', during.releaseGpg], ['Release', request.release])).toEqual([record.openpgpFingerprint]);
    // minisign: the new key, named in the trusted comment.
    const verified = minisignVerifies(during, request.release, newMinisignPub);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`snapshot:2 commit:`);
    expect(verified.stdout).toContain(`key:${record.minisignKeyId}`);
    expect(during.publicKeys.minisignPub).toBe(newMinisignPub);

    // After the overlap (30 days by default): the old keys retire at the next signature.
    now += 21 * DAY;
    const after = await signer.signRelease(signRequest(3));
    expect(after.openpgpFingerprints).toEqual([record.openpgpFingerprint]);
    expect(keyringFingerprints(Buffer.from(after.publicKeys.openpgpKeyringBase64, 'base64'))).toEqual([record.openpgpFingerprint]);
    expect(() => goodSigners(oldKeyring, ['InRelease', after.inRelease])).toThrow(/gpgv refused/);
    expect(goodSigners(newKeyring, ['InRelease', after.inRelease])).toEqual([record.openpgpFingerprint]);
    expect(readRotation(dir)).toBeUndefined();
    expect(fs.existsSync(path.join(dir, 'next'))).toBe(false);
    const [retired] = fs.readdirSync(path.join(dir, 'retired'));
    expect(fs.readFileSync(path.join(dir, 'retired', retired, 'kiln-archive-keyring.gpg'))).toEqual(oldKeyring);
    // The keys dir now holds the new keys where the old ones were: a restarted signer loads them.
    const reloaded = await loadSignerKeys(dir);
    expect([reloaded.openpgp.fingerprint, reloaded.minisign.keyIdHex, reloaded.next]).toEqual([record.openpgpFingerprint, record.minisignKeyId, undefined]);
    expect(await finishRotation(dir)).toBeUndefined();
  }, 120_000);
});
