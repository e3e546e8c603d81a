import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAgent } from '../../../activities/openpgp/gpg';
import { createSignerActivities, REFUSALS_LISTED_PER_MINUTE, type SignRequest } from '../../../activities/signer-activities';
import { generateSignerKeys, loadSignerKeys, type SignerKeys } from '../../../activities/signer/signer-keys';
import { KDF_LIMITS_INTERACTIVE } from '../../../domain/signing/minisign';
import { signerConfig, signRequest, TREE } from './sign-requests';

// What the signer refuses to sign, and that it says so in its audit log: a compromised orchestrator gets signatures
// only on Release files Kiln would write, for configured branches, forward, and at a bounded rate.
const SLOW = 30_000;
const FAST = { kdfLimits: KDF_LIMITS_INTERACTIVE, openpgpS2kCount: 65536 };

interface AuditLine { outcome: string; count?: number; code?: string; reason?: string; snapshot?: unknown; retry?: boolean; releaseSha256?: string; caller: Record<string, unknown> }

describe('signer policy', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-signer-policy-'));
  const keysDir = path.join(root, 'keys');
  let keys: SignerKeys;
  let n = 0;
  /** A fresh state and audit log (its own "keys dir"), signing with the keys loaded once. */
  const freshDir = () => {
    const d = path.join(root, `signer-${++n}`);
    fs.mkdirSync(d, { mode: 0o700 });
    return d;
  };
  const audit = (dir: string): AuditLine[] => {
    const file = path.join(dir, 'audit.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditLine) : [];
  };
  const refusal = async (promise: Promise<unknown>): Promise<ApplicationFailure> => {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  };

  beforeAll(async () => {
    await generateSignerKeys(keysDir, FAST);
    keys = await loadSignerKeys(keysDir);
  }, SLOW);
  afterAll(async () => {
    await stopAgent(path.join(keysDir, 'openpgp'));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it.each<[string, (r: SignRequest) => unknown]>([
    ['arbitrary text', (r) => ({ ...r, release: 'please sign me\n' })],
    ['a Release of another snapshot number', (r) => ({ ...r, snapshot: r.snapshot + 1 })],
    ['a Release of another commit', (r) => ({ ...r, commit: 'f'.repeat(40) })],
    ['a Release whose Suite is not the request\'s', (r) => ({ ...r, release: r.release.replace('Suite: main', 'Suite: other') })],
    ['a Release with a field Kiln does not write', (r) => ({ ...r, release: r.release.replace('Origin: Kiln\n', 'Origin: Kiln\nSigned-By: ABCD\n') })],
    ['a Release listing a path that leaves dists/', (r) => ({ ...r, release: r.release.replace('main/binary-amd64/Packages.xz', 'main/../../../etc/passwd') })],
    ['a Release with an absolute path', (r) => ({ ...r, release: r.release.replace('main/binary-amd64/Packages.xz', '/etc/passwd') })],
    ['a Release with a second paragraph', (r) => ({ ...r, release: `${r.release}\nOrigin: Evil\n` })],
    ['a Release with a CR', (r) => ({ ...r, release: r.release.replace('\n', '\r\n') })],
    ['a Release of an architecture the tree does not build', (r) => ({ ...r, release: r.release.replace('Architectures: amd64 i386', 'Architectures: amd64 arm64') })],
    ['a trusted comment of the caller\'s making', (r) => ({ ...r, trustedComment: 'anything' })],
    ['no snapshot number', (r) => ({ ...r, snapshot: undefined })],
    ['a request without fields', () => ({ release: signRequest(1).release })],
  ])('refuses %s (SIGN_REQUEST_INVALID, not retried, audited)', async (_what, change) => {
    const dir = freshDir();
    const { signRelease } = createSignerActivities(keys, signerConfig(dir));
    const error = await refusal(signRelease(change(signRequest(1)) as SignRequest));
    expect(error).toMatchObject({ type: 'SIGN_REQUEST_INVALID', nonRetryable: true });
    expect(audit(dir)).toEqual([expect.objectContaining({ outcome: 'refused', code: 'SIGN_REQUEST_INVALID', reason: error.message })]);
    // Nothing was signed, so nothing is remembered: snapshot 1 is still signable.
    await signRelease(signRequest(1));
  }, SLOW);

  it.each<[string, SignRequest]>([
    ['an unknown tree', (() => {
      const r = signRequest(1);
      return { ...r, tree: 'other', release: r.release.replace(`Label: ${TREE}`, 'Label: other').replace(`Kiln ${TREE}/`, 'Kiln other/') };
    })()],
    ['a configured tree\'s unconfigured branch', signRequest(1, { branch: 'feature', suite: 'feature' })],
    ['a configured branch under another suite', signRequest(1, { branch: 'release/1', suite: 'release-1' })],
  ])('refuses %s (SIGN_UNKNOWN_TREE, not retried, audited)', async (_what, request) => {
    const dir = freshDir();
    const { signRelease } = createSignerActivities(keys, signerConfig(dir));
    const error = await refusal(signRelease(request));
    expect(error).toMatchObject({ type: 'SIGN_UNKNOWN_TREE', nonRetryable: true });
    expect(audit(dir)).toEqual([expect.objectContaining({ outcome: 'refused', code: 'SIGN_UNKNOWN_TREE', tree: request.tree, branch: request.branch, suite: request.suite })]);
  }, SLOW);

  it('signs only forward: an older or equal snapshot with another Release is refused, the same one again is signed (a retry)', async () => {
    const dir = freshDir();
    const { signRelease } = createSignerActivities(keys, signerConfig(dir));
    await signRelease(signRequest(5));
    const older = await refusal(signRelease(signRequest(4, { seed: 'b' })));
    expect(older).toMatchObject({ type: 'SIGN_SNAPSHOT_OLD', nonRetryable: true });
    expect(older.message).toContain('not newer than snapshot 5');
    // The older snapshot's own, earlier Release: just as old.
    await expect(signRelease(signRequest(4))).rejects.toMatchObject({ type: 'SIGN_SNAPSHOT_OLD' });
    const equal = await refusal(signRelease(signRequest(5, { seed: 'b' })));
    expect(equal).toMatchObject({ type: 'SIGN_SNAPSHOT_OLD', nonRetryable: true });
    expect(equal.message).toContain('signed with another Release');
    // A Temporal retry after the signer crashed between signing and answering: the same snapshot and Release.
    const again = await signRelease(signRequest(5));
    expect(again.inRelease).toContain('snapshot 5 (commit');
    // Another branch has its own numbers.
    await signRelease(signRequest(1, { branch: 'release/1' }));
    await signRelease(signRequest(6));

    expect(audit(dir).map((l) => [l.outcome, l.snapshot, l.code ?? (l.retry ? 'retry' : '')])).toEqual([
      ['signed', 5, ''], ['refused', 4, 'SIGN_SNAPSHOT_OLD'], ['refused', 4, 'SIGN_SNAPSHOT_OLD'], ['refused', 5, 'SIGN_SNAPSHOT_OLD'],
      ['signed', 5, 'retry'], ['signed', 1, ''], ['signed', 6, ''],
    ]);
    // The state survives a restart of the signer, and is the signer's alone.
    const stateFile = path.join(dir, 'signer-state.json');
    expect(fs.statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8'))).toMatchObject({
      version: 1,
      signed: expect.arrayContaining([
        expect.objectContaining({ tree: TREE, branch: 'main', snapshot: 6, suite: 'main', releaseSha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
        expect.objectContaining({ tree: TREE, branch: 'release/1', snapshot: 1, suite: 'stable' }),
      ]),
    });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
    const restarted = createSignerActivities(keys, signerConfig(dir));
    await expect(restarted.signRelease(signRequest(6, { seed: 'c' }))).rejects.toMatchObject({ type: 'SIGN_SNAPSHOT_OLD' });
    await restarted.signRelease(signRequest(6));
  }, SLOW);

  it('refuses to start on a state file it did not write', () => {
    const dir = freshDir();
    fs.writeFileSync(path.join(dir, 'signer-state.json'), '{"version":1,"signed":[{"tree":"example"}]}', { mode: 0o600 });
    expect(() => createSignerActivities(keys, signerConfig(dir))).toThrow(expect.objectContaining({ code: 'SIGNER_STATE_INVALID' }));
    fs.writeFileSync(path.join(dir, 'signer-state.json'), 'not json');
    expect(() => createSignerActivities(keys, signerConfig(dir))).toThrow(expect.objectContaining({ code: 'SIGNER_STATE_INVALID' }));
    fs.rmSync(path.join(dir, 'signer-state.json'));
    fs.writeFileSync(path.join(root, 'elsewhere.json'), '{"version":1,"signed":[]}');
    fs.symlinkSync(path.join(root, 'elsewhere.json'), path.join(dir, 'signer-state.json'));
    expect(() => createSignerActivities(keys, signerConfig(dir))).toThrow(expect.objectContaining({ code: 'SIGNER_STATE_INVALID' }));
  });

  it('refuses a flood beyond signaturesPerMinute (SIGN_RATE_LIMITED, retried later), audited, and signs again after the minute', async () => {
    const dir = freshDir();
    let clock = Date.UTC(2026, 11, 1, 12, 0, 0);
    const { signRelease } = createSignerActivities(keys, signerConfig(dir, { signaturesPerMinute: 3 }), { now: () => clock });
    for (const s of [1, 2, 3]) { await signRelease(signRequest(s)); clock += 1_000; }
    const flood = [];
    for (const s of [4, 5, 6]) flood.push(await refusal(signRelease(signRequest(s))));
    for (const error of flood) {
      // Retryable: the publish waits for the signer to have room again rather than failing for good.
      expect(error).toMatchObject({ type: 'SIGN_RATE_LIMITED', nonRetryable: false });
      expect(error.nextRetryDelay).toBeGreaterThan(0);
    }
    clock += 57_001; // the first signature is now more than a minute old
    await signRelease(signRequest(4));
    await expect(signRelease(signRequest(5))).rejects.toMatchObject({ type: 'SIGN_RATE_LIMITED' });
    expect(audit(dir).map((l) => [l.outcome, l.snapshot, l.code])).toEqual([
      ['signed', 1, undefined], ['signed', 2, undefined], ['signed', 3, undefined],
      ['refused', 4, 'SIGN_RATE_LIMITED'], ['refused', 5, 'SIGN_RATE_LIMITED'], ['refused', 6, 'SIGN_RATE_LIMITED'],
      ['signed', 4, undefined], ['refused', 5, 'SIGN_RATE_LIMITED'],
    ]);
  }, SLOW);

  it('lists at most REFUSALS_LISTED_PER_MINUTE refusals a minute in the audit log, and counts the rest', async () => {
    const dir = freshDir();
    let clock = Date.UTC(2026, 11, 1, 12, 0, 0);
    const { signRelease } = createSignerActivities(keys, signerConfig(dir), { now: () => clock });
    const bogus = { ...signRequest(1), tree: 'not-configured' };
    for (let i = 0; i < REFUSALS_LISTED_PER_MINUTE + 30; i++) {
      await expect(signRelease(bogus)).rejects.toMatchObject({ type: 'SIGN_UNKNOWN_TREE' });
      clock += 100;
    }
    expect(audit(dir)).toHaveLength(REFUSALS_LISTED_PER_MINUTE);
    // A minute on, the next line says how many went unlisted, then the signer audits (and signs) as before.
    clock += 60_000;
    await signRelease(signRequest(1));
    const lines = audit(dir);
    expect(lines.slice(-2)).toEqual([
      expect.objectContaining({ outcome: 'refusals-unlisted', count: 30 }),
      expect.objectContaining({ outcome: 'signed', snapshot: 1 }),
    ]);
  }, SLOW);

  it('audits the Temporal caller: workflow execution, activity and attempt', async () => {
    const dir = freshDir();
    const { signRelease } = createSignerActivities(keys, signerConfig(dir));
    const env = new MockActivityEnvironment({
      workflowExecution: { workflowId: 'publish/example/main/1', runId: 'run-1' }, workflowType: 'publishWorkflow',
      activityId: '3', attempt: 2, taskQueue: 'sign',
    });
    await env.run(signRelease, signRequest(1));
    await env.run(signRelease, signRequest(1, { seed: 'b' })).catch(() => undefined);
    const caller = { workflowId: 'publish/example/main/1', runId: 'run-1', workflowType: 'publishWorkflow', activityId: '3', attempt: 2, taskQueue: 'sign' };
    expect(audit(dir)).toEqual([
      expect.objectContaining({ outcome: 'signed', caller: expect.objectContaining(caller) }),
      expect.objectContaining({ outcome: 'refused', code: 'SIGN_SNAPSHOT_OLD', caller: expect.objectContaining(caller) }),
    ]);
  }, SLOW);

  it('writes the audit line before it answers: no audit log, no signature (and the retry signs once it is back)', async () => {
    const dir = freshDir();
    const { signRelease } = createSignerActivities(keys, signerConfig(dir));
    const request = signRequest(1);
    const result = await signRelease(request);
    // Already on disk when the answer arrives.
    expect(audit(dir).at(-1)).toMatchObject({ outcome: 'signed', snapshot: 1 });
    expect(result.minisig).toContain('snapshot:1');

    // An audit log that cannot be written: the signature is not returned.
    fs.renameSync(path.join(dir, 'audit.log'), path.join(dir, 'audit.log.saved'));
    fs.mkdirSync(path.join(dir, 'audit.log'));
    await expect(signRelease(signRequest(2))).rejects.toThrow(/EISDIR|illegal operation on a directory/);
    fs.rmdirSync(path.join(dir, 'audit.log'));
    fs.renameSync(path.join(dir, 'audit.log.saved'), path.join(dir, 'audit.log'));
    // Snapshot 2 was recorded before signing: its retry (same Release) is signed and audited now.
    await signRelease(signRequest(2));
    expect(audit(dir).map((l) => [l.outcome, l.snapshot, l.retry])).toEqual([['signed', 1, false], ['signed', 2, true]]);
  }, SLOW);

  it('takes over a state lock its own pid left on this host (a restarted container is pid 1 again) without waiting', async () => {
    const dir = freshDir();
    const { signRelease } = createSignerActivities(keys, signerConfig(dir));
    fs.writeFileSync(path.join(dir, 'signer-state.json.lock'), JSON.stringify({ host: os.hostname(), pid: process.pid, at: new Date().toISOString() }));
    const started = Date.now();
    await signRelease(signRequest(1));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(fs.existsSync(path.join(dir, 'signer-state.json.lock'))).toBe(false);
  }, SLOW);

  it('audits a caller\'s strings as data: a newline in a tree name cannot forge an audit line', async () => {
    const dir = freshDir();
    const { signRelease } = createSignerActivities(keys, signerConfig(dir));
    const forged = 'x\n{"outcome":"signed"}';
    await signRelease({ ...signRequest(1), tree: forged }).catch(() => undefined);
    expect(fs.readFileSync(path.join(dir, 'audit.log'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(audit(dir)[0]).toMatchObject({ outcome: 'refused', tree: forged });
  }, SLOW);
});

describe('signer key and password file permissions', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-signer-perms-'));
  const keysDir = path.join(root, 'keys');
  const passwordDir = path.join(root, 'passwords');
  beforeAll(async () => {
    await generateSignerKeys(keysDir, { ...FAST, passwordDir });
  }, SLOW);
  afterAll(async () => {
    await stopAgent(path.join(keysDir, 'openpgp'));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('kiln keys generate writes the password files to signer.passwordDir, where the signer reads them', async () => {
    expect(fs.readdirSync(passwordDir).sort()).toEqual(['minisign.password', 'openpgp.password']);
    expect(fs.existsSync(path.join(keysDir, 'minisign.password'))).toBe(false);
    expect(fs.existsSync(path.join(keysDir, 'openpgp.password'))).toBe(false);
    for (const f of ['minisign.password', 'openpgp.password']) expect(fs.statSync(path.join(passwordDir, f)).mode & 0o777).toBe(0o600);
    await loadSignerKeys(keysDir, passwordDir);
    // Without passwordDir the signer looks in the keys dir, and finds no password for its encrypted key.
    await expect(loadSignerKeys(keysDir)).rejects.toMatchObject({ code: 'MINISIGN_PASSWORD_WRONG' });
  }, SLOW);

  it.each<[string, string, number]>([
    ['a key file 0644', 'keys/minisign.key', 0o644],
    ['a key file 0640', 'keys/minisign.key', 0o640],
    ['a minisign password file 0640', 'passwords/minisign.password', 0o640],
    ['an OpenPGP password file 0640', 'passwords/openpgp.password', 0o640],
    ['an OpenPGP password file 0604', 'passwords/openpgp.password', 0o604],
    ['a gpg home dir 0750', 'keys/openpgp', 0o750],
  ])('refuses to start with %s (SIGNER_KEY_PERMISSIONS)', async (_what, rel, mode) => {
    const file = path.join(root, rel);
    const saved = fs.statSync(file).mode & 0o777;
    fs.chmodSync(file, mode);
    try {
      const error = await loadSignerKeys(keysDir, passwordDir).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'SIGNER_KEY_PERMISSIONS' });
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).toMatch(/open to group or others.*chmod [67]00/);
    } finally {
      fs.chmodSync(file, saved);
    }
    await loadSignerKeys(keysDir, passwordDir);
  }, SLOW);

  it.each(['keys/minisign.key', 'passwords/minisign.password', 'passwords/openpgp.password'])('refuses to start with %s a symlink (SIGNER_KEY_PERMISSIONS)', async (rel) => {
    const file = path.join(root, rel);
    const real = path.join(root, `${path.basename(file)}.real`);
    fs.renameSync(file, real);
    fs.symlinkSync(real, file);
    try {
      await expect(loadSignerKeys(keysDir, passwordDir)).rejects.toMatchObject({ code: 'SIGNER_KEY_PERMISSIONS', message: expect.stringContaining('is a symlink') });
    } finally {
      fs.rmSync(file);
      fs.renameSync(real, file);
    }
    await loadSignerKeys(keysDir, passwordDir);
  }, SLOW);

  it('refuses a key that is not a regular file', async () => {
    const file = path.join(passwordDir, 'openpgp.password');
    const saved = fs.readFileSync(file);
    fs.rmSync(file);
    fs.mkdirSync(file, { mode: 0o700 });
    try {
      await expect(loadSignerKeys(keysDir, passwordDir)).rejects.toMatchObject({ code: 'SIGNER_KEY_PERMISSIONS', message: expect.stringContaining('not a regular file') });
    } finally {
      fs.rmdirSync(file);
      fs.writeFileSync(file, saved, { mode: 0o600 });
    }
  }, SLOW);
});
