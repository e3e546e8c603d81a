import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeTar } from '../../../activities/formats/pacman/tar-writer';
import { checkDatabases, DatabaseRejected } from '../../../activities/signer/database-check';

// What the signer checks before it signs a pacman database: the very bytes the signed Release lists, and a database.
const db = (entries: Array<{ path: string; data?: string }>) =>
  zlib.gzipSync(writeTar(entries.map((e) => ({ path: e.path, ...(e.data !== undefined ? { data: Buffer.from(e.data) } : {}) })), { mtime: 0 }));
const good = db([{ path: 'kiln-a-1.0-1/' }, { path: 'kiln-a-1.0-1/desc', data: '%NAME%\nkiln-a\n' }]);
const listed = (data: Buffer, p = 'x86_64/t.db') => [{ path: p, size: data.length, hash: crypto.createHash('sha256').update(data).digest('hex') }];
const send = (data: Buffer, p = 'x86_64/t.db') => [{ path: p, base64: data.toString('base64') }];
const refusal = (fn: () => unknown) => {
  try { fn(); } catch (err) { expect(err).toBeInstanceOf(DatabaseRejected); return (err as Error).message; }
  throw new Error('not refused');
};

describe('checkDatabases', () => {
  it('takes a database the Release lists, byte for byte', () => {
    expect(checkDatabases(send(good), listed(good))).toEqual([{ path: 'x86_64/t.db', data: good }]);
  });

  it('refuses bytes other than the listed ones, unlisted and missing databases', () => {
    const other = db([{ path: 'kiln-b-1.0-1/' }]);
    expect(refusal(() => checkDatabases(send(other), listed(good)))).toMatch(/not the one the Release lists/);
    expect(refusal(() => checkDatabases(send(good, 'x86_64/u.db'), listed(good)))).toMatch(/not listed in the Release/);
    expect(refusal(() => checkDatabases([], listed(good)))).toMatch(/which was not sent/);
    expect(refusal(() => checkDatabases([...send(good), ...send(good)], listed(good)))).toMatch(/sent twice/);
    expect(refusal(() => checkDatabases('nope', listed(good)))).toMatch(/list/);
  });

  it('refuses what is not a pacman database: other files, links, garbage', () => {
    for (const [data, why] of [
      [db([{ path: 'etc/passwd', data: 'root' }]), /not a package's desc or files/],
      [db([{ path: 'kiln-a-1.0-1/install', data: 'rm -rf /' }]), /not a package's desc or files/],
      [Buffer.from('plain text'), /not gzip data/],
      [zlib.gzipSync(Buffer.alloc(700, 1)), /bad tar header|not a package|not a complete/],
    ] as const) {
      expect(refusal(() => checkDatabases(send(data), listed(data)))).toMatch(why);
    }
  });
});
