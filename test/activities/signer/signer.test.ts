import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { createSignerActivities } from '../../../activities/signer-activities';
import { generateSignerKeys, loadSignerKeys } from '../../../activities/signer/signer-keys';
import { KDF_LIMITS_INTERACTIVE } from '../../../domain/signing/minisign';

// The signer's keys and signing, checked by the reference minisign CLI.
describe('signer', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-signer-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('generates keys once, with a 0600 password file, and never replaces them', async () => {
    const first = await generateSignerKeys(dir, { kdfLimits: KDF_LIMITS_INTERACTIVE });
    expect(first.created).toBe(true);
    expect(fs.statSync(path.join(dir, 'minisign.password')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'minisign.key')).mode & 0o777).toBe(0o600);
    const key = fs.readFileSync(path.join(dir, 'minisign.key'));
    const second = await generateSignerKeys(dir, { kdfLimits: KDF_LIMITS_INTERACTIVE });
    expect(second.created).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'minisign.key'))).toEqual(key);
  });

  it('signs a Release file that minisign -V accepts, with the trusted comment, and audits it', async () => {
    const { signRelease } = createSignerActivities(await loadSignerKeys(dir), dir);
    const release = 'Origin: Kiln\nSuite: main\n';
    const { minisig } = await signRelease({ release, trustedComment: 'tree=example branch=main snapshot=3 commit=abc' });
    fs.writeFileSync(path.join(dir, 'Release'), release);
    fs.writeFileSync(path.join(dir, 'Release.minisig'), minisig);
    const out = execFileSync('minisign', ['-V', '-p', path.join(dir, 'minisign.pub'), '-m', path.join(dir, 'Release')], { encoding: 'utf8' });
    expect(out).toContain('Trusted comment: tree=example branch=main snapshot=3 commit=abc');
    const audit = fs.readFileSync(path.join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ bytes: release.length, trustedComment: 'tree=example branch=main snapshot=3 commit=abc' });
  });

  it.each([
    ['no release', { trustedComment: 'x' }],
    ['an empty release', { release: '', trustedComment: 'x' }],
    ['a comment with a newline', { release: 'x', trustedComment: 'a\nb' }],
  ])('answers %s with a non-retryable SIGN_REQUEST_INVALID', async (_what, request) => {
    const { signRelease } = createSignerActivities(await loadSignerKeys(dir), dir);
    const error = await signRelease(request as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe('SIGN_REQUEST_INVALID');
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('a missing key dir is a clear SIGNER_KEYS_MISSING', async () => {
    await expect(loadSignerKeys(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'SIGNER_KEYS_MISSING' });
  });
});
