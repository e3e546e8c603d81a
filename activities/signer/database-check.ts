import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import type { ReleaseHashEntry } from '../../domain/signing/release-check';

// What the signer checks of a pacman database before it signs it: the very bytes the signed Release lists, and a
// repository database as Kiln writes one (a gzip'd tar of `<name>-<version>/desc|files`), nothing else.

export const MAX_DATABASE_BYTES = 1024 * 1024;
const MAX_UNPACKED_BYTES = 64 * 1024 * 1024;
const ENTRY = /^[a-z0-9@_+][a-z0-9@._+-]*-[^/-]+-[^/-]+\/(desc|files)?$/;

export class DatabaseRejected extends Error {}

/** Each database must be listed in the Release with its size and SHA-256, and every database listed must be sent. */
export function checkDatabases(databases: unknown, listed: readonly ReleaseHashEntry[]): Array<{ path: string; data: Buffer }> {
  if (!Array.isArray(databases)) throw new DatabaseRejected('databases is a list of { path, base64 }');
  const byPath = new Map(listed.map((e) => [e.path, e]));
  const seen = new Set<string>();
  let total = 0;
  const result = databases.map((d: unknown) => {
    const { path, base64 } = (typeof d === 'object' && d !== null ? d : {}) as { path?: unknown; base64?: unknown };
    if (typeof path !== 'string' || typeof base64 !== 'string') throw new DatabaseRejected('a database is { path, base64 }, both strings');
    const entry = byPath.get(path);
    if (!entry) throw new DatabaseRejected(`the database ${path.slice(0, 200)} is not listed in the Release`);
    if (seen.has(path)) throw new DatabaseRejected(`the database ${path} is sent twice`);
    seen.add(path);
    const data = Buffer.from(base64, 'base64');
    total += data.length;
    if (total > MAX_DATABASE_BYTES) throw new DatabaseRejected(`the databases are over ${MAX_DATABASE_BYTES} bytes together`);
    if (data.length !== entry.size || crypto.createHash('sha256').update(data).digest('hex') !== entry.hash) {
      throw new DatabaseRejected(`the database ${path} is not the one the Release lists (size or SHA-256 differ)`);
    }
    checkDatabaseContent(path, data);
    return { path, data };
  });
  for (const entry of listed) if (!seen.has(entry.path)) throw new DatabaseRejected(`the Release lists ${entry.path}, which was not sent`);
  return result;
}

/** A gzip'd ustar archive of `<name>-<version>/` folders holding `desc` (and `files`): a pacman repository database. */
function checkDatabaseContent(path: string, data: Buffer): void {
  let tar: Buffer;
  try {
    tar = zlib.gunzipSync(data, { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch (err) {
    throw new DatabaseRejected(`the database ${path} is not gzip data within ${MAX_UNPACKED_BYTES} bytes (${(err as Error).message})`);
  }
  let paxPath: string | undefined;
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return;
    const field = (start: number, length: number) => header.subarray(start, start + length).toString('latin1').replace(/\0.*$/s, '');
    const type = String.fromCharCode(header[156] || 0x30);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0 || offset + 512 + size > tar.length) throw new DatabaseRejected(`the database ${path} has a bad tar header`);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      // A pax record carries a name too long for ustar (Kiln's writer uses it for nothing else).
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    const prefix = field(345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    paxPath = undefined;
    if (!ENTRY.test(name) || (type === '5') !== name.endsWith('/') || !['0', '5'].includes(type)) {
      throw new DatabaseRejected(`the database ${path} holds ${JSON.stringify(name.slice(0, 100))}, not a package's desc or files`);
    }
  }
  throw new DatabaseRejected(`the database ${path} is not a complete tar archive`);
}
