// Key files without the CLI: kdf parameters, passwords, malformed inputs and secrets that must not leak.
import * as util from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  KDF_LIMITS_INTERACTIVE, KDF_LIMITS_SENSITIVE, formatSecretKey, generateKeyPair, parsePublicKey, parseSecretKey,
  scryptParamsFromLimits, sign, verify,
} from '../../../../domain/signing/minisign';
import { rawSeed } from '../../../../domain/signing/minisign/ed25519';
import { expectKilnError, expectKilnRejection } from './expect-kiln-error';

const cheap = KDF_LIMITS_INTERACTIVE;

/** Rewrites the binary struct of a two-line key file. */
function mutateKeyFile(text: string, change: (struct: Buffer) => void): string {
  const [comment, b64] = text.split('\n');
  const struct = Buffer.from(b64, 'base64');
  change(struct);
  return `${comment}\n${struct.toString('base64')}\n`;
}

describe('scrypt parameters (libsodium pickparams)', () => {
  it('maps minisign\'s default limits to N=2^20, r=8, p=1 and the interactive ones to N=2^14', () => {
    expect(scryptParamsFromLimits(KDF_LIMITS_SENSITIVE)).toEqual({ N: 2 ** 20, r: 8, p: 1 });
    expect(scryptParamsFromLimits(cheap)).toEqual({ N: 2 ** 14, r: 8, p: 1 });
  });

  it('takes the CPU-bound branch when opslimit is the smaller budget, and floors opslimit at 32768', () => {
    expect(scryptParamsFromLimits({ opsLimit: 1n << 20n, memLimit: 1n << 30n })).toEqual({ N: 2 ** 15, r: 8, p: 1 });
    expect(scryptParamsFromLimits({ opsLimit: 0n, memLimit: 1n << 30n })).toEqual({ N: 2 ** 10, r: 8, p: 1 });
  });

  it('refuses limits a hostile key file could use to exhaust memory or CPU', () => {
    expectKilnError(() => scryptParamsFromLimits({ opsLimit: 1n << 40n, memLimit: 1n << 40n }), 'MINISIGN_KEY_INVALID', /more than Kiln accepts/);
    expectKilnError(() => scryptParamsFromLimits({ opsLimit: 1n << 32n, memLimit: 1n << 30n }), 'MINISIGN_KEY_INVALID', /more than Kiln accepts/);
  });
});

describe('key files', () => {
  it('round-trips an encrypted key and signs with it', async () => {
    const password = Buffer.from('pa55 word');
    const pair = await generateKeyPair({ password, kdfLimits: cheap });
    expect(pair.secretKeyFile).toMatch(/^untrusted comment: minisign encrypted secret key\n[A-Za-z0-9+/]+=*\n$/);
    expect(pair.publicKeyFile).toBe(`untrusted comment: minisign public key ${pair.publicKey.keyIdHex.replace(/^0+(?=.)/, "")}\n${pair.publicKey.base64}\n`);
    expect(pair.publicKey.keyIdHex).toMatch(/^[0-9A-F]{16}$/);
    const secretKey = await parseSecretKey(pair.secretKeyFile, password);
    expect(secretKey.keyIdHex).toBe(pair.publicKey.keyIdHex);
    expect(secretKey.publicKey).toEqual(pair.publicKey);
    const sig = sign(Buffer.from('x'), secretKey, { trustedComment: 'round trip' });
    expect(verify(Buffer.from('x'), sig, pair.publicKeyFile).trustedComment).toBe('round trip');
  });

  it('stores the kdf limits it was given and none for an unencrypted key', async () => {
    const encrypted = await generateKeyPair({ password: Buffer.from('p'), kdfLimits: cheap });
    const plain = await generateKeyPair();
    const limitsOf = (file: string) => {
      const struct = Buffer.from(file.split('\n')[1], 'base64');
      return { kdf: struct.toString('latin1', 2, 4), ops: struct.readBigUInt64LE(38), mem: struct.readBigUInt64LE(46) };
    };
    expect(limitsOf(encrypted.secretKeyFile)).toEqual({ kdf: 'Sc', ops: cheap.opsLimit, mem: cheap.memLimit });
    expect(limitsOf(plain.secretKeyFile)).toEqual({ kdf: '\0\0', ops: 0n, mem: 0n });
  });

  it('re-encrypts an existing key under a new password', async () => {
    const pair = await generateKeyPair();
    const reencrypted = await formatSecretKey(pair.secretKey, { password: Buffer.from('new'), kdfLimits: cheap });
    const again = await parseSecretKey(reencrypted, Buffer.from('new'));
    expect(rawSeed(again.privateKey).equals(rawSeed(pair.secretKey.privateKey))).toBe(true);
  });

  it('wrong or missing password: MINISIGN_PASSWORD_WRONG', async () => {
    const pair = await generateKeyPair({ password: Buffer.from('right'), kdfLimits: cheap });
    await expectKilnRejection(parseSecretKey(pair.secretKeyFile, Buffer.from('wrong')), 'MINISIGN_PASSWORD_WRONG', /wrong password/);
    await expectKilnRejection(parseSecretKey(pair.secretKeyFile), 'MINISIGN_PASSWORD_WRONG', /no password was given/);
  });

  it('refuses passwords the CLI could never type', async () => {
    for (const bad of [Buffer.alloc(0), Buffer.from('a\nb'), Buffer.from('a\0b'), Buffer.alloc(1024, 0x61)]) {
      await expect(generateKeyPair({ password: bad, kdfLimits: cheap })).rejects.toThrow(RangeError);
    }
  });

  it('never shows key material when logged or serialised', async () => {
    const pair = await generateKeyPair();
    const seed = rawSeed(pair.secretKey.privateKey);
    const shown = `${util.inspect(pair.secretKey, { depth: 5 })}${JSON.stringify(pair.secretKey)}`;
    for (const encoding of ['hex', 'base64'] as const) expect(shown).not.toContain(seed.toString(encoding));
  });
});

describe('malformed keys: MINISIGN_KEY_INVALID', () => {
  it('public keys', async () => {
    const pair = await generateKeyPair();
    expect(parsePublicKey(pair.publicKey.base64)).toEqual(pair.publicKey);
    expectKilnError(() => parsePublicKey(''), 'MINISIGN_KEY_INVALID', /comment/);
    expectKilnError(() => parsePublicKey('hello\nworld\n'), 'MINISIGN_KEY_INVALID', /comment/);
    expectKilnError(() => parsePublicKey(`${pair.publicKeyFile}extra\n`), 'MINISIGN_KEY_INVALID', /comment/);
    expectKilnError(() => parsePublicKey('untrusted comment: x\nRWQ=\n'), 'MINISIGN_KEY_INVALID', /42 bytes of base64/);
    expectKilnError(() => parsePublicKey(pair.publicKeyFile.replace(/\n(.)/, '\n!$1')), 'MINISIGN_KEY_INVALID', /base64/);
    const wrongAlg = mutateKeyFile(pair.publicKeyFile, (s) => s.write('ED', 0, 'latin1'));
    expectKilnError(() => parsePublicKey(wrongAlg), 'MINISIGN_KEY_INVALID', /signature algorithm/);
  });

  it('secret keys', async () => {
    const pair = await generateKeyPair();
    const file = pair.secretKeyFile;
    await expectKilnRejection(parseSecretKey(''), 'MINISIGN_KEY_INVALID', /comment/);
    await expectKilnRejection(parseSecretKey(pair.publicKeyFile), 'MINISIGN_KEY_INVALID', /158 bytes of base64/);
    await expectKilnRejection(parseSecretKey(mutateKeyFile(file, (s) => s.write('Xx', 0, 'latin1'))), 'MINISIGN_KEY_INVALID', /signature algorithm/);
    await expectKilnRejection(parseSecretKey(mutateKeyFile(file, (s) => s.write('Ar', 2, 'latin1'))), 'MINISIGN_KEY_INVALID', /key derivation/);
    await expectKilnRejection(parseSecretKey(mutateKeyFile(file, (s) => s.write('B3', 4, 'latin1'))), 'MINISIGN_KEY_INVALID', /checksum algorithm/);
    // A flipped bit in the seed of an unencrypted key: caught by the checksum Kiln writes.
    await expectKilnRejection(parseSecretKey(mutateKeyFile(file, (s) => { s[70] ^= 1; })), 'MINISIGN_KEY_INVALID', /checksum/);
    // The same with a zero checksum, as `minisign -G -W` writes: caught by the seed/public key consistency check.
    const zeroChk = (s: Buffer) => { s.fill(0, 158 - 32); };
    await expect(parseSecretKey(mutateKeyFile(file, zeroChk))).resolves.toMatchObject({ keyIdHex: pair.publicKey.keyIdHex });
    await expectKilnRejection(parseSecretKey(mutateKeyFile(file, (s) => { zeroChk(s); s[70] ^= 1; })), 'MINISIGN_KEY_INVALID', /does not match its seed/);
    // An encrypted key claiming absurd kdf limits is refused before any memory is allocated.
    const hostile = mutateKeyFile(file, (s) => { s.write('Sc', 2, 'latin1'); s.writeBigUInt64LE(1n << 50n, 38); s.writeBigUInt64LE(1n << 50n, 46); });
    await expectKilnRejection(parseSecretKey(hostile, Buffer.from('x')), 'MINISIGN_KEY_INVALID', /more than Kiln accepts/);
  });
});
