// Kiln's minisign against the real minisign 0.11 CLI, both ways: keys, signatures and encrypted secret keys.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KDF_LIMITS_INTERACTIVE, generateKeyPair, parsePublicKey, parseSecretKey, scryptParamsFromLimits, sign, verify,
} from '../../../../domain/signing/minisign';
import { runMinisign } from './cli';
import { expectKilnError } from './expect-kiln-error';

let dir: string;
const DATA = Buffer.from('Packages index\nPackage: hello\nVersion: 1.0-1\n');

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-minisign-'));
  fs.writeFileSync(path.join(dir, 'data'), DATA);
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

function read(name: string): string {
  return fs.readFileSync(path.join(dir, name), 'utf8');
}

async function cliVerify(pubFile: string, sigFile: string, extra: string[] = []) {
  return runMinisign(['-V', ...extra, '-p', pubFile, '-x', sigFile, '-m', path.join(dir, 'data')], { cwd: dir });
}

function expectInvalid(fn: () => unknown, reason: RegExp): void {
  expectKilnError(fn, 'MINISIGN_SIGNATURE_INVALID', reason);
}

describe('Kiln keys and signatures, verified by the minisign CLI', () => {
  it.each([
    { label: 'unencrypted key, prehashed', password: undefined, prehash: true },
    { label: 'unencrypted key, legacy', password: undefined, prehash: false },
    { label: 'encrypted key, prehashed', password: Buffer.from('correct horse'), prehash: true },
    { label: 'encrypted key, legacy', password: Buffer.from('correct horse'), prehash: false },
  ])('$label', async ({ label, password, prehash }) => {
    const tag = label.replace(/\W+/g, '-');
    const pair = await generateKeyPair({ password, kdfLimits: KDF_LIMITS_INTERACTIVE });
    // Sign with the key as re-read from its file, so the .key encoding is exercised too.
    const secretKey = await parseSecretKey(pair.secretKeyFile, password);
    const trustedComment = `timestamp:1700000000\tfile:Release\t${tag}`;
    const pub = write(`${tag}.pub`, pair.publicKeyFile);
    const sig = write(`${tag}.minisig`, sign(DATA, secretKey, { trustedComment, prehash }));
    const res = await cliVerify(pub, sig);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Trusted comment: ${trustedComment}`);
    // -H refuses legacy signatures: proves the CLI saw the algorithm Kiln meant to write.
    const strict = await cliVerify(pub, sig, ['-H']);
    expect(strict.code).toBe(prehash ? 0 : 1);
  });

  it('the CLI recreates the same public key (-R) from a Kiln secret key', async () => {
    const pair = await generateKeyPair();
    const key = write('recreate.key', pair.secretKeyFile);
    const pub = path.join(dir, 'recreate.pub');
    const res = await runMinisign(['-R', '-s', key, '-p', pub], { cwd: dir });
    expect(res.code).toBe(0);
    expect(read('recreate.pub')).toBe(pair.publicKeyFile);
  });

  it('the CLI decrypts a Kiln key with cheap kdf limits, password on stdin, and refuses a wrong password', async () => {
    const password = Buffer.from('s3cret pass');
    const pair = await generateKeyPair({ password, kdfLimits: KDF_LIMITS_INTERACTIVE });
    const key = write('cheap.key', pair.secretKeyFile);
    const pub = write('cheap.pub', pair.publicKeyFile);
    const sigFile = path.join(dir, 'cheap.minisig');
    const signed = await runMinisign(['-S', '-s', key, '-x', sigFile, '-t', 'signed by the CLI', '-m', path.join(dir, 'data')],
      { cwd: dir, stdin: `${password.toString()}\n` });
    expect(signed.stderr).not.toContain('Wrong password');
    expect(signed.code).toBe(0);
    expect(verify(DATA, read('cheap.minisig'), pair.publicKey).trustedComment).toBe('signed by the CLI');
    expect((await cliVerify(pub, sigFile)).code).toBe(0);

    const wrong = await runMinisign(['-S', '-s', key, '-x', path.join(dir, 'wrong.minisig'), '-m', path.join(dir, 'data')],
      { cwd: dir, stdin: 'not it\n' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Wrong password for that key');
  });
});

describe('CLI keys and signatures, used by Kiln', () => {
  let cliPub: string;
  let cliKey: string;

  beforeAll(async () => {
    cliPub = path.join(dir, 'cli.pub');
    cliKey = path.join(dir, 'cli.key');
    const res = await runMinisign(['-G', '-W', '-p', cliPub, '-s', cliKey], { cwd: dir });
    expect(res.code).toBe(0);
  });

  it('Kiln reads an unencrypted CLI key (-G -W) and signs what the CLI verifies', async () => {
    const publicKey = parsePublicKey(read('cli.pub'));
    const secretKey = await parseSecretKey(read('cli.key'));
    expect(secretKey.keyIdHex).toBe(publicKey.keyIdHex);
    // The CLI prints the key id with %llX: no leading zeros (one key in 16 starts with a zero nibble).
    expect(read('cli.pub')).toContain(`minisign public key ${publicKey.keyIdHex.replace(/^0+(?=.)/, '')}\n`);
    for (const prehash of [true, false]) {
      const sig = write(`kiln-with-cli-key-${prehash}.minisig`, sign(DATA, secretKey, { trustedComment: `prehash=${prehash}`, prehash }));
      const res = await cliVerify(cliPub, sig);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain(`Trusted comment: prehash=${prehash}`);
    }
  });

  describe('signatures made by the CLI', () => {
    const signed: Record<'prehashed' | 'legacy', string> = { prehashed: '', legacy: '' };

    beforeAll(async () => {
      for (const [kind, extra] of [['prehashed', []], ['legacy', ['-l']]] as const) {
        const sigFile = path.join(dir, `cli-${kind}.minisig`);
        const res = await runMinisign(['-S', ...extra, '-s', cliKey, '-x', sigFile, '-c', 'made by the CLI',
          '-t', `cli ${kind}`, '-m', path.join(dir, 'data')], { cwd: dir });
        expect(res.code).toBe(0);
        signed[kind] = read(`cli-${kind}.minisig`);
      }
    });

    it.each(['prehashed', 'legacy'] as const)('Kiln verifies a %s one', (kind) => {
      const result = verify(DATA, signed[kind], read('cli.pub'));
      expect(result).toEqual({
        trustedComment: `cli ${kind}`, untrustedComment: 'made by the CLI',
        keyIdHex: parsePublicKey(read('cli.pub')).keyIdHex, prehashed: kind === 'prehashed',
      });
    });

    it('rejects tampered data', () => {
      const tampered = Buffer.concat([DATA, Buffer.from('Package: evil\n')]);
      for (const kind of ['prehashed', 'legacy'] as const) {
        expectInvalid(() => verify(tampered, signed[kind], read('cli.pub')), /does not match the data/);
      }
    });

    it('rejects a tampered trusted comment', () => {
      const tampered = signed.prehashed.replace('trusted comment: cli prehashed', 'trusted comment: cli prehashed, honest');
      expect(tampered).not.toBe(signed.prehashed);
      expectInvalid(() => verify(DATA, tampered, read('cli.pub')), /global signature/);
    });

    it('rejects another key, by key id and by signature', async () => {
      const other = await generateKeyPair();
      expectInvalid(() => verify(DATA, signed.prehashed, other.publicKey),
        /key id is [0-9A-F]{16} but the public key's is [0-9A-F]{16}/);
      // Same key id, different key: the Ed25519 check itself must fail.
      const impostor = { ...other.publicKey, keyId: parsePublicKey(read('cli.pub')).keyId };
      expectInvalid(() => verify(DATA, signed.prehashed, impostor), /does not match the data/);
    });

    it('rejects legacy signatures when asked to, like -H', () => {
      expectInvalid(() => verify(DATA, signed.legacy, read('cli.pub'), { allowLegacy: false }), /legacy/);
      expect(verify(DATA, signed.prehashed, read('cli.pub'), { allowLegacy: false }).prehashed).toBe(true);
    });
  });

  // The one default-cost scrypt of the suite: the CLI encrypts with its own limits, Kiln decrypts.
  it('Kiln decrypts a password-protected CLI key (default kdf limits) without blocking the event loop', async () => {
    const pub = path.join(dir, 'cli-enc.pub');
    const key = path.join(dir, 'cli-enc.key');
    const password = 'tr0ub4dor&3 with spaces';
    const gen = await runMinisign(['-G', '-p', pub, '-s', key], { cwd: dir, stdin: `${password}\n${password}\n` });
    expect(gen.code).toBe(0);

    const struct = Buffer.from(read('cli-enc.key').split('\n')[1], 'base64');
    const limits = { opsLimit: struct.readBigUInt64LE(38), memLimit: struct.readBigUInt64LE(46) };
    expect(limits).toEqual({ opsLimit: 33_554_432n, memLimit: 1_073_741_824n });
    expect(scryptParamsFromLimits(limits)).toEqual({ N: 2 ** 20, r: 8, p: 1 });

    let ticks = 0;
    const timer = setInterval(() => { ticks += 1; }, 20);
    const started = Date.now();
    const secretKey = await parseSecretKey(read('cli-enc.key'), Buffer.from(password));
    const elapsed = Date.now() - started;
    clearInterval(timer);
    // A blocking derivation would leave the timer starved for the whole time.
    expect(ticks).toBeGreaterThan(elapsed / 20 / 4);

    const sig = write('cli-enc.minisig', sign(DATA, secretKey, { trustedComment: 'encrypted CLI key' }));
    const res = await cliVerify(pub, sig);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Trusted comment: encrypted CLI key');
  }, 30_000);
});
