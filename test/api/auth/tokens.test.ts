import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearerToken } from '../../../api/auth/require-token';
import { createToken, hashToken, readTokens, revokeToken, TOKEN_PATTERN, tokenFile } from '../../../api/auth/token-file';
import { FileTokenVerifier } from '../../../api/auth/token-verifier';
import { KilnError } from '../../../domain/errors';

// API tokens: made and revoked by `kiln tokens`, kept as SHA-256 hashes in <dataDir>/api-tokens.json (0600), checked
// by the API in constant time, the file re-read whenever it changes.

const fresh = () => tokenFile(fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-tokens-')));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(KilnError);
    return (err as KilnError).code;
  }
  throw new Error('expected a KilnError');
}

describe('the token file', () => {
  it('stores the hash, name and time of a new token, never the token, readable by its owner only', async () => {
    const file = fresh();
    const { token, stored } = await createToken(file, 'ci', new Date('2026-05-01T12:00:00Z'));
    expect(token).toMatch(TOKEN_PATTERN);
    expect(stored).toEqual({ name: 'ci', sha256: hashToken(token), createdAt: '2026-05-01T12:00:00.000Z' });
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(5));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(await readTokens(file)).toEqual([stored]);
    // Nothing left over from the atomic write.
    expect(fs.readdirSync(path.dirname(file))).toEqual(['api-tokens.json']);
  });

  it('makes a different token every time', async () => {
    const file = fresh();
    const a = await createToken(file, 'a');
    const b = await createToken(file, 'b');
    expect(a.token).not.toBe(b.token);
    expect((await readTokens(file)).map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('refuses a name in use (TOKEN_EXISTS) and a malformed one (REQUEST_INVALID)', async () => {
    const file = fresh();
    await createToken(file, 'ci');
    expect(await codeOf(createToken(file, 'ci'))).toBe('TOKEN_EXISTS');
    for (const bad of ['', ' ci', 'c i', '-ci', '../ci', 'x'.repeat(65), 'ci\n']) expect(await codeOf(createToken(file, bad))).toBe('REQUEST_INVALID');
  });

  it('revokes by name (TOKEN_UNKNOWN for a name it does not have), keeping 0600', async () => {
    const file = fresh();
    await createToken(file, 'a');
    await createToken(file, 'b');
    await revokeToken(file, 'a');
    expect((await readTokens(file)).map((t) => t.name)).toEqual(['b']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(await codeOf(revokeToken(file, 'a'))).toBe('TOKEN_UNKNOWN');
  });

  it('loses no token when many are made and revoked at once', async () => {
    const file = fresh();
    const names = Array.from({ length: 12 }, (_, i) => `t${i}`);
    await Promise.all(names.map((n) => createToken(file, n)));
    expect((await readTokens(file)).map((t) => t.name).sort()).toEqual([...names].sort());
    await Promise.all(names.slice(0, 6).map((n) => revokeToken(file, n)));
    expect((await readTokens(file)).map((t) => t.name).sort()).toEqual(names.slice(6).sort());
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it('takes over the lock of a process that is gone', async () => {
    const file = fresh();
    fs.writeFileSync(`${file}.lock`, '2147483646 0123456789ab'); // no such pid
    await createToken(file, 'after-crash');
    expect((await readTokens(file)).map((t) => t.name)).toEqual(['after-crash']);
  });

  it('has no tokens before the first one is made', async () => {
    expect(await readTokens(fresh())).toEqual([]);
  });

  it.each([
    ['not JSON', '{'],
    ['no list', '{"version": 1}'],
    ['a bad hash', '{"tokens": [{"name": "a", "sha256": "xyz", "createdAt": "now"}]}'],
  ])('refuses a file that is %s: TOKEN_FILE_INVALID', async (_what, text) => {
    const file = fresh();
    fs.writeFileSync(file, text);
    expect(await codeOf(readTokens(file))).toBe('TOKEN_FILE_INVALID');
  });
});

describe('FileTokenVerifier', () => {
  it('knows a token by its holder\'s name, and nothing else', async () => {
    const file = fresh();
    const { token } = await createToken(file, 'ci');
    const verifier = new FileTokenVerifier(file);
    expect(await verifier.verify(token)).toEqual({ name: 'ci', kind: 'operator' });
    expect(await verifier.verify(`${token}x`)).toBeUndefined();
    expect(await verifier.verify(token.slice(0, -1))).toBeUndefined();
    expect(await verifier.verify('')).toBeUndefined();
    // The stored hash itself is not a token.
    expect(await verifier.verify(hashToken(token))).toBeUndefined();
  });

  it('keeps the kinds apart: a worker token is no operator token, and the other way round', async () => {
    const file = fresh();
    const { token: operator } = await createToken(file, 'ci');
    const { token: worker, stored } = await createToken(file, 'builder-1', new Date(), 'worker');
    expect(stored.kind).toBe('worker');
    expect((await readTokens(file)).map((t) => t.kind ?? 'operator')).toEqual(['operator', 'worker']);
    const verifier = new FileTokenVerifier(file);
    expect(await verifier.verify(worker)).toBeUndefined();
    expect(await verifier.verify(worker, 'worker')).toEqual({ name: 'builder-1', kind: 'worker' });
    expect(await verifier.verify(operator, 'worker')).toBeUndefined();
    expect(await verifier.verify(operator, 'operator')).toEqual({ name: 'ci', kind: 'operator' });
    // One name space: a worker cannot take an operator's name.
    expect(await codeOf(createToken(file, 'ci', new Date(), 'worker'))).toBe('TOKEN_EXISTS');
  });

  it('refuses a token file with an unknown kind', async () => {
    const file = fresh();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ version: 1, tokens: [{ name: 'x', kind: 'root', sha256: '0'.repeat(64), createdAt: '2026-01-01T00:00:00Z' }] }));
    expect(await codeOf(readTokens(file))).toBe('TOKEN_FILE_INVALID');
  });

  it('sees tokens made and revoked after it started', async () => {
    const file = fresh();
    const verifier = new FileTokenVerifier(file);
    const { token } = await createToken(file, 'later');
    expect(await verifier.verify(token)).toEqual({ name: 'later', kind: 'operator' });
    await revokeToken(file, 'later');
    expect(await verifier.verify(token)).toBeUndefined();
  });

  it('reads the file once while it does not change', async () => {
    const file = fresh();
    const { token } = await createToken(file, 'ci');
    const verifier = new FileTokenVerifier(file);
    await verifier.verify(token);
    const reads = { count: 0 };
    const original = fs.promises.readFile;
    fs.promises.readFile = (async (...args: Parameters<typeof original>) => { reads.count++; return original(...args); }) as typeof original;
    try {
      for (let i = 0; i < 5; i++) expect(await verifier.verify(token)).toEqual({ name: 'ci', kind: 'operator' });
    } finally {
      fs.promises.readFile = original;
    }
    expect(reads.count).toBe(0);
  });

  it('accepts nothing while the file is malformed', async () => {
    const file = fresh();
    const { token } = await createToken(file, 'ci');
    const verifier = new FileTokenVerifier(file);
    fs.writeFileSync(file, 'garbage');
    expect(await codeOf(verifier.verify(token))).toBe('TOKEN_FILE_INVALID');
  });
});

describe('bearerToken', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['Bearer kiln_abc', 'kiln_abc'],
    ['bearer   kiln_abc  ', 'kiln_abc'],
    ['Basic dXNlcjpwYXNz', null],
    ['Bearer', null],
    ['Bearer a b', null],
    ['kiln_abc', null],
  ])('%j → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
