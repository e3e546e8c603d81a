// The text of one package's entry in a pacman repository database, byte for byte what repo-add (pacman 6.0.2,
// db_write_entry) writes: `%FIELD%`, its values one a line, a blank line; a field with no (or an empty first) value
// is left out. Inputs come from parsePkginfo, which already refused anything that could break a line.
// Pure code: no Node imports.
import { ResultRejected, quoteUntrusted } from '../result-rejected';
import { CONTROL_CHAR } from './names';
import type { Pkginfo } from './pkginfo';

export interface PackageFile {
  /** The package's file name in the repository (no folder). */
  filename: string;
  /** Its size in bytes. */
  csize: number;
  sha256: string;
  md5: string;
  /** A detached binary signature, base64: repo-add's %PGPSIG% when a `.sig` sits beside the package. */
  pgpsig?: string;
}

/** The folder of the entry inside the database tarball. */
export function entryDirName(info: Pick<Pkginfo, 'pkgname' | 'pkgver'>): string {
  return `${info.pkgname}-${info.pkgver}`;
}

/** The `desc` file of the entry. */
export function descEntry(info: Pkginfo, file: PackageFile): string {
  if (!/^[A-Za-z0-9@_+][A-Za-z0-9@._+:~-]{0,254}$/.test(file.filename)) throw new ResultRejected(`package file name ${quoteUntrusted(file.filename)} is not allowed`);
  if (!Number.isSafeInteger(file.csize) || file.csize < 0) throw new Error(`csize ${file.csize} is not a size`);
  if (!/^[0-9a-f]{64}$/.test(file.sha256)) throw new Error('sha256 is not 64 lower-case hex digits');
  if (!/^[0-9a-f]{32}$/.test(file.md5)) throw new Error('md5 is not 32 lower-case hex digits');
  if (file.pgpsig !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(file.pgpsig)) throw new Error('pgpsig is not base64');
  const str = (n: number | undefined) => (n === undefined ? undefined : String(n));
  const fields: Array<[string, Array<string | undefined> | string | undefined]> = [
    ['FILENAME', file.filename],
    ['NAME', info.pkgname],
    ['BASE', info.pkgbase],
    ['VERSION', info.pkgver],
    ['DESC', info.pkgdesc],
    ['GROUPS', info.groups],
    ['CSIZE', String(file.csize)],
    ['ISIZE', str(info.size)],
    ['MD5SUM', file.md5],
    ['SHA256SUM', file.sha256],
    ['PGPSIG', file.pgpsig],
    ['URL', info.url],
    ['LICENSE', info.license],
    ['ARCH', info.arch],
    ['BUILDDATE', str(info.builddate)],
    ['PACKAGER', info.packager],
    ['REPLACES', info.replaces],
    ['CONFLICTS', info.conflicts],
    ['PROVIDES', info.provides],
    ['DEPENDS', info.depends],
    ['OPTDEPENDS', info.optdepends],
    ['MAKEDEPENDS', info.makedepends],
    ['CHECKDEPENDS', info.checkdepends],
  ];
  return fields.map(([name, value]) => formatEntry(name, Array.isArray(value) ? value : [value])).join('');
}

/**
 * The `files` file of the entry: `%FILES%` then the package's paths as `bsdtar -tf` lists them (folders end in
 * `/`), those starting with `.` (the package's metadata) left out, sorted bytewise and without repeats
 * (`LC_ALL=C sort -u`). No blank line at the end: repo-add writes none.
 */
export function filesEntry(paths: string[]): string {
  const kept = paths.filter((p) => !p.startsWith('.'));
  for (const p of kept) {
    if (p === '' || CONTROL_CHAR.test(p) || p.startsWith('/')) throw new ResultRejected(`package path ${quoteUntrusted(p)} is not allowed in a files database`);
  }
  const sorted = [...new Set(kept)].sort(compareBytes);
  return `%FILES%\n${sorted.map((p) => `${p}\n`).join('')}`;
}

/** format_entry: nothing when the first value is empty. */
function formatEntry(name: string, values: Array<string | undefined>): string {
  if (!values[0]) return '';
  for (const v of values) {
    // parsePkginfo already guarantees this; a desc line is too important to take on trust.
    if (v === undefined || v === '' || v.includes('\n') || CONTROL_CHAR.test(v)) throw new ResultRejected(`%${name}% holds an empty value or a control character`);
  }
  return `%${name}%\n${values.join('\n')}\n\n`;
}

/** LC_ALL=C order: by UTF-8 bytes, which for strings is code point order, not UTF-16 unit order. */
function compareBytes(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i].codePointAt(0) ?? 0) - (y[i].codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
