import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAgent } from '../../../activities/openpgp/gpg';
import { createSignerActivities } from '../../../activities/signer-activities';
import { generateSignerKeys, loadSignerKeys } from '../../../activities/signer/signer-keys';
import { KDF_LIMITS_INTERACTIVE } from '../../../domain/signing/minisign';
import { COMMIT, signerConfig, signRequest } from './sign-requests';

// The signer's keys and signing, checked by the reference tools: the minisign CLI and gpgv, as apt runs it.
const SLOW = 30_000;
// Cheap key protection, as in the minisign tests: the defaults cost seconds (minisign) and ~250 ms per signature (gpg).
const FAST = { kdfLimits: KDF_LIMITS_INTERACTIVE, openpgpS2kCount: 65536 };

function privateKeyFiles(keysDir: string): Buffer[] {
  const dir = path.join(keysDir, 'openpgp', 'private-keys-v1.d');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.key')).sort().map((f) => fs.readFileSync(path.join(dir, f)));
}

describe('signer', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-signer-'));
  const verifyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-gpgv-'));
  let fingerprint = '';
  afterAll(async () => {
    await stopAgent(path.join(dir, 'openpgp'));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(verifyHome, { recursive: true, force: true });
  });

  /** gpgv as apt runs it: one binary keyring, nothing else trusted. Throws when the signature does not verify. */
  const gpgv = (keyring: string, ...files: string[]) =>
    execFileSync('gpgv', ['--homedir', verifyHome, '--status-fd', '1', '--keyring', keyring, ...files], { encoding: 'utf8', stdio: 'pipe' });

  it('generates both keys once, with 0600 password files, and never replaces them', async () => {
    const first = await generateSignerKeys(dir, FAST);
    expect(first).toMatchObject({
      created: true,
      publicKeyFile: path.join(dir, 'minisign.pub'),
      minisign: { created: true, publicKeyFile: path.join(dir, 'minisign.pub') },
      openpgp: {
        created: true,
        keyringFile: path.join(dir, 'kiln-archive-keyring.gpg'),
        armoredKeyringFile: path.join(dir, 'kiln-archive-keyring.asc'),
      },
    });
    fingerprint = first.openpgp.fingerprint;
    expect(fingerprint).toMatch(/^[0-9A-F]{40}$/);
    for (const secret of ['minisign.password', 'minisign.key', 'openpgp.password']) {
      expect(fs.statSync(path.join(dir, secret)).mode & 0o777, secret).toBe(0o600);
    }
    expect(fs.statSync(path.join(dir, 'openpgp')).mode & 0o777).toBe(0o700);
    // The OpenPGP secret key is stored encrypted with the passphrase, not in the clear.
    const [secretKey] = privateKeyFiles(dir);
    expect(secretKey.toString('latin1')).toContain('(protected-private-key');
    // apt's signed-by= wants a binary keyring; the .asc is the same key armored.
    const keyring = fs.readFileSync(first.openpgp.keyringFile);
    expect(keyring[0] & 0x80).toBe(0x80);
    expect(keyring.subarray(0, 5).toString('latin1')).not.toBe('-----');
    expect(fs.readFileSync(first.openpgp.armoredKeyringFile, 'utf8')).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----\n/);
    const shown = execFileSync('gpg', ['--homedir', verifyHome, '--batch', '--with-colons', '--show-keys', first.openpgp.keyringFile], { encoding: 'utf8', stdio: 'pipe' });
    expect(shown).toContain(`fpr:::::::::${fingerprint}:`);
    expect(shown).toMatch(/^pub:[^:]*:255:22:/m); // Ed25519 (EdDSA, algo 22)

    const files = ['minisign.key', 'minisign.pub', 'openpgp.password', 'kiln-archive-keyring.gpg', 'kiln-archive-keyring.asc']
      .map((f) => fs.readFileSync(path.join(dir, f)));
    const second = await generateSignerKeys(dir, FAST);
    expect(second).toMatchObject({ created: false, minisign: { created: false }, openpgp: { created: false, fingerprint } });
    expect(['minisign.key', 'minisign.pub', 'openpgp.password', 'kiln-archive-keyring.gpg', 'kiln-archive-keyring.asc']
      .map((f) => fs.readFileSync(path.join(dir, f)))).toEqual(files);
    expect(privateKeyFiles(dir)).toEqual([secretKey]);
    expect(fs.existsSync(path.join(dir, 'generate.lock'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'openpgp', 'gpg-agent.conf'))).toBe(false);
  }, SLOW);

  it('signs a Release file that minisign -V and gpgv accept, returns the public keys, and audits it', async () => {
    const { signRelease } = createSignerActivities(await loadSignerKeys(dir), signerConfig(dir));
    const request = signRequest(3);
    const { release } = request;
    const result = await signRelease(request);
    expect(result.keyId).toMatch(/^[0-9A-F]{16}$/);
    // The trusted comment names the push and the minisign key that signed (keys rotate: docs/OPERATIONS.md).
    const comment = `kiln tree:example branch:main suite:main snapshot:3 commit:${COMMIT} key:${result.keyId}`;
    expect(result.openpgpFingerprint).toBe(fingerprint);
    expect(result.publicKeys.minisignPub).toBe(fs.readFileSync(path.join(dir, 'minisign.pub'), 'utf8'));
    expect(Buffer.from(result.publicKeys.openpgpKeyringBase64, 'base64')).toEqual(fs.readFileSync(path.join(dir, 'kiln-archive-keyring.gpg')));

    // What the orchestrator would publish, from the answer alone.
    const out = fs.mkdtempSync(path.join(dir, 'published-'));
    const put = (name: string, data: string | Buffer) => { fs.writeFileSync(path.join(out, name), data); return path.join(out, name); };
    const releaseFile = put('Release', release);
    put('Release.minisig', result.minisig);
    const minisignPub = put('minisign.pub', result.publicKeys.minisignPub);
    const keyring = put('kiln-archive-keyring.gpg', Buffer.from(result.publicKeys.openpgpKeyringBase64, 'base64'));
    const inRelease = put('InRelease', result.inRelease);
    const releaseGpg = put('Release.gpg', result.releaseGpg);

    const minisignOut = execFileSync('minisign', ['-V', '-p', minisignPub, '-m', releaseFile], { encoding: 'utf8' });
    expect(minisignOut).toContain(`Trusted comment: ${comment}`);

    expect(result.inRelease).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n/);
    expect(result.inRelease).toContain(release);
    expect(result.releaseGpg).toMatch(/^-----BEGIN PGP SIGNATURE-----\n/);
    // Both verify, made by this key (EdDSA, pubkey algo 22) with SHA-256 (hash algo 8).
    for (const status of [gpgv(keyring, inRelease), gpgv(keyring, releaseGpg, releaseFile)]) {
      const validsig = /^\[GNUPG:\] VALIDSIG ([0-9A-F]{40}) \S+ \S+ \S+ \S+ \S+ (\d+) (\d+) /m.exec(status);
      expect(validsig?.slice(1)).toEqual([fingerprint, '22', '8']);
    }
    // The signed text apt reads out of InRelease is the Release file, byte for byte.
    const extracted = execFileSync('gpg', ['--homedir', verifyHome, '--batch', '--quiet', '--no-default-keyring', '--keyring', keyring, '--decrypt', inRelease], { stdio: 'pipe' });
    expect(extracted.toString('utf8')).toBe(release);

    const audit = fs.readFileSync(path.join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      outcome: 'signed', tree: 'example', branch: 'main', snapshot: 3, suite: 'main', commit: COMMIT, retry: false,
      releaseSha256: createHash('sha256').update(release).digest('hex'), bytes: release.length, trustedComment: comment,
      keyId: result.keyId, openpgpFingerprint: fingerprint, caller: { outside: 'no Temporal activity context' },
    });
    expect(Date.parse(audit[0].at)).toBeGreaterThan(Date.now() - 60_000);
    const auditText = fs.readFileSync(path.join(dir, 'audit.log'), 'utf8');
    for (const secret of ['minisign.password', 'openpgp.password']) {
      expect(auditText).not.toContain(fs.readFileSync(path.join(dir, secret), 'utf8'));
    }
  }, SLOW);

  it('a tampered Release fails gpgv, for Release.gpg and for InRelease', async () => {
    const { signRelease } = createSignerActivities(await loadSignerKeys(dir), signerConfig(dir));
    const request = signRequest(4);
    const { release } = request;
    const result = await signRelease(request);
    const out = fs.mkdtempSync(path.join(dir, 'tampered-'));
    const keyring = path.join(out, 'keyring.gpg');
    fs.writeFileSync(keyring, Buffer.from(result.publicKeys.openpgpKeyringBase64, 'base64'));
    const tampered = release.replace('Packages.xz', 'Packages.gz');
    fs.writeFileSync(path.join(out, 'Release'), tampered);
    fs.writeFileSync(path.join(out, 'Release.gpg'), result.releaseGpg);
    fs.writeFileSync(path.join(out, 'InRelease'), result.inRelease.replace('Packages.xz', 'Packages.gz'));
    expect(() => gpgv(keyring, path.join(out, 'Release.gpg'), path.join(out, 'Release'))).toThrow(/BAD signature/);
    expect(() => gpgv(keyring, path.join(out, 'InRelease'))).toThrow(/BAD signature/);
    // And a keyring of another key verifies nothing.
    const otherHome = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-other-'));
    try {
      execFileSync('gpg', ['--homedir', otherHome, '--batch', '--passphrase', '', '--pinentry-mode', 'loopback', '--quick-generate-key', 'Other <o@x.invalid>', 'ed25519', 'sign', 'never'], { stdio: 'pipe' });
      const other = path.join(out, 'other.gpg');
      fs.writeFileSync(other, execFileSync('gpg', ['--homedir', otherHome, '--batch', '--export'], { stdio: 'pipe' }));
      fs.writeFileSync(path.join(out, 'Release'), release);
      expect(() => gpgv(other, path.join(out, 'Release.gpg'), path.join(out, 'Release'))).toThrow(/No public key/);
    } finally {
      await stopAgent(otherHome);
      fs.rmSync(otherHome, { recursive: true, force: true });
    }
  }, SLOW);

  it('signs concurrent requests, each verifying', async () => {
    const { signRelease } = createSignerActivities(await loadSignerKeys(dir), signerConfig(dir));
    // Asked at once, signed one after another in the order asked: each a newer snapshot than the one before.
    const requests = Array.from({ length: 6 }, (_, i) => signRequest(10 + i));
    const releases = requests.map((r) => r.release);
    const results = await Promise.all(requests.map((request) => signRelease(request)));
    const out = fs.mkdtempSync(path.join(dir, 'concurrent-'));
    const keyring = path.join(dir, 'kiln-archive-keyring.gpg');
    results.forEach((result, i) => {
      fs.writeFileSync(path.join(out, `Release${i}`), releases[i]);
      fs.writeFileSync(path.join(out, `InRelease${i}`), result.inRelease);
      fs.writeFileSync(path.join(out, `Release${i}.gpg`), result.releaseGpg);
      gpgv(keyring, path.join(out, `InRelease${i}`));
      gpgv(keyring, path.join(out, `Release${i}.gpg`), path.join(out, `Release${i}`));
      expect(result.inRelease).toContain(`snapshot ${10 + i} (commit`);
    });
  }, SLOW);

  it.each([
    ['no release', { ...signRequest(20), release: undefined }],
    ['an empty release', { ...signRequest(20), release: '' }],
    ['a release without the fields', { release: 'x', trustedComment: 'x' }],
    ['a comment with a newline', { ...signRequest(20), trustedComment: 'a\nb' }],
  ])('answers %s with a non-retryable SIGN_REQUEST_INVALID', async (_what, request) => {
    const { signRelease } = createSignerActivities(await loadSignerKeys(dir), signerConfig(dir));
    const error = await signRelease(request as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe('SIGN_REQUEST_INVALID');
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
  }, SLOW);

  it('a missing key dir is a clear SIGNER_KEYS_MISSING', async () => {
    await expect(loadSignerKeys(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'SIGNER_KEYS_MISSING' });
  });
});

// A keys dir made before the OpenPGP key existed holds only the minisign files.
describe('signer keys dir from an older install', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-signer-old-'));
  const home = path.join(dir, 'openpgp');
  afterAll(async () => {
    await stopAgent(home);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const removeOpenPgp = async () => {
    await stopAgent(home);
    for (const f of ['openpgp', 'openpgp.password', 'kiln-archive-keyring.gpg', 'kiln-archive-keyring.asc']) {
      fs.rmSync(path.join(dir, f), { recursive: true, force: true });
    }
  };

  it('without the OpenPGP key, loading fails with SIGNER_KEYS_MISSING and says what to run', async () => {
    await generateSignerKeys(dir, FAST);
    await removeOpenPgp();
    const error = await loadSignerKeys(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SIGNER_KEYS_MISSING' });
    expect((error as Error).message).toContain(`${home} holds no OpenPGP signing key`);
    expect((error as Error).message).toContain('kiln keys generate');
  }, SLOW);

  it('generate adds only the OpenPGP key and keeps the minisign key', async () => {
    const minisignFiles = ['minisign.key', 'minisign.password', 'minisign.pub'].map((f) => fs.readFileSync(path.join(dir, f)));
    const result = await generateSignerKeys(dir, FAST);
    expect(result).toMatchObject({ created: true, minisign: { created: false }, openpgp: { created: true } });
    expect(['minisign.key', 'minisign.password', 'minisign.pub'].map((f) => fs.readFileSync(path.join(dir, f)))).toEqual(minisignFiles);
    const keys = await loadSignerKeys(dir);
    expect(keys.openpgp.fingerprint).toBe(result.openpgp.fingerprint);
    const { publicKeys, inRelease } = await createSignerActivities(keys, signerConfig(dir)).signRelease(signRequest(1, { branch: 'release/1' }));
    expect(publicKeys.minisignPub).toBe(minisignFiles[2].toString('utf8'));
    expect(inRelease).toContain('Suite: stable\n');
  }, SLOW);

  it('a missing keyring is exported again; without the passphrase file, loading fails', async () => {
    fs.rmSync(path.join(dir, 'kiln-archive-keyring.gpg'));
    await expect(loadSignerKeys(dir)).rejects.toMatchObject({ code: 'SIGNER_KEYS_MISSING', message: expect.stringContaining('kiln-archive-keyring.gpg') });
    const again = await generateSignerKeys(dir, FAST);
    expect(again).toMatchObject({ created: false, openpgp: { created: false } });
    expect(fs.existsSync(path.join(dir, 'kiln-archive-keyring.gpg'))).toBe(true);
    await loadSignerKeys(dir);

    const password = path.join(dir, 'openpgp.password');
    const saved = fs.readFileSync(password);
    fs.rmSync(password);
    await expect(loadSignerKeys(dir)).rejects.toMatchObject({ code: 'SIGNER_KEYS_MISSING', message: expect.stringContaining('openpgp.password') });
    // A wrong passphrase (the agent forgot the right one) cannot sign.
    await stopAgent(home);
    fs.writeFileSync(password, 'not-the-passphrase', { mode: 0o600 });
    await expect(loadSignerKeys(dir)).rejects.toMatchObject({ code: 'SIGNER_KEYS_MISSING', message: expect.stringMatching(/cannot sign with the passphrase.*Bad passphrase/s) });
    fs.writeFileSync(password, saved, { mode: 0o600 });
    await loadSignerKeys(dir);
  }, SLOW);

  it('a keyring that does not hold the key is refused', async () => {
    const keyring = path.join(dir, 'kiln-archive-keyring.gpg');
    const saved = fs.readFileSync(keyring);
    fs.writeFileSync(keyring, saved.subarray(0, 10));
    await expect(loadSignerKeys(dir)).rejects.toMatchObject({ code: 'SIGNER_KEYS_MISSING', message: expect.stringContaining('does not hold the OpenPGP key') });
    fs.writeFileSync(keyring, saved);
  });
});

// gpg runs through a wrapper on PATH that records its argv: the passphrase must never be in it.
describe('signer and gpg argv', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-signer-argv-'));
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'gpg-argv.log');
  const keysDir = path.join(dir, 'keys');
  const savedPath = process.env.PATH;
  afterAll(async () => {
    process.env.PATH = savedPath;
    await stopAgent(path.join(keysDir, 'openpgp'));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes the OpenPGP passphrase as a file, never as an argument', async () => {
    const realGpg = execFileSync('sh', ['-c', 'command -v gpg'], { encoding: 'utf8' }).trim();
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'gpg'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realGpg}' "$@"\n`, { mode: 0o755 });
    process.env.PATH = `${bin}:${savedPath}`;
    await generateSignerKeys(keysDir, FAST);
    const { signRelease } = createSignerActivities(await loadSignerKeys(keysDir), signerConfig(keysDir));
    await signRelease(signRequest(1));
    process.env.PATH = savedPath;

    const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
    const passphrase = fs.readFileSync(path.join(keysDir, 'openpgp.password'), 'utf8');
    expect(passphrase.length).toBeGreaterThanOrEqual(40);
    expect(calls.filter((c) => c.includes('--quick-generate-key'))).toHaveLength(1);
    expect(calls.filter((c) => c.includes('--clearsign')).length).toBeGreaterThanOrEqual(2); // load's probe, then the request
    for (const call of calls) {
      expect(call).not.toContain(passphrase);
      expect(call).not.toMatch(/--passphrase(?!-file) /);
      if (/--quick-generate-key|--clearsign|--detach-sign/.test(call)) {
        expect(call).toContain(`--pinentry-mode loopback --passphrase-file ${path.join(keysDir, 'openpgp.password')}`);
      }
    }
  }, SLOW);
});
