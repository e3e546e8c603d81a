// A pacman repository database as repo-add lays it out: a gzip'd tar of one folder per package,
// `<pkgname>-<pkgver>/desc` (and `files` in the files database). Written by Kiln's own code so the bytes depend only
// on the entries: sorted, fixed times and owners, gzip without a name or time.
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { CONTROL_CHAR } from '../../../domain/formats/pacman/names';
import { writeTar, type TarInput } from './tar-writer';

const gzip = promisify(zlib.gzip);

export interface RepoDbEntry {
  /** `<pkgname>-<pkgver>` (entryDirName). */
  dirName: string;
  desc: string;
  /** Required for the files database. */
  files?: string;
}

/** The mtime of every entry: pacman reads none of them, and a fixed one makes the output reproducible. */
const MTIME = 0;

/** `<name>.db.tar.gz` (kind 'db') or `<name>.files.tar.gz` (kind 'files'). */
export async function repoDatabase(entries: RepoDbEntry[], kind: 'db' | 'files'): Promise<Buffer> {
  const seen = new Set<string>();
  for (const e of entries) {
    if (!e.dirName || e.dirName === '.' || e.dirName === '..' || e.dirName.includes('/') || CONTROL_CHAR.test(e.dirName)) {
      throw new Error(`repository entry name ${JSON.stringify(e.dirName)} is not a folder name`);
    }
    if (seen.has(e.dirName)) throw new Error(`repository entry ${e.dirName} appears twice`);
    seen.add(e.dirName);
    if (kind === 'files' && e.files === undefined) throw new Error(`repository entry ${e.dirName} has no files list for the files database`);
  }
  // Byte order, as `LC_ALL=C` would sort them.
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.dirName), Buffer.from(b.dirName)));
  const tar: TarInput[] = sorted.flatMap((e) => [
    { path: `${e.dirName}/` },
    { path: `${e.dirName}/desc`, data: Buffer.from(e.desc) },
    ...(kind === 'files' ? [{ path: `${e.dirName}/files`, data: Buffer.from(e.files ?? '') }] : []),
  ]);
  return gzip(writeTar(tar, { mtime: MTIME }), { level: 9 });
}
