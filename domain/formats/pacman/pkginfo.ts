// The `.PKGINFO` of a built pacman package: `key = value` lines (makepkg's write_pkginfo), a key repeated for each
// value of a list. It comes out of a build, so it is hostile: every value ends up as a line of the repository's
// `desc` file, where a newline would start a field of the package's choosing and a blank line would end a list.
// Everything is checked, and what repo-add would do differently from what pacman reads is refused, not repaired.
// Pure code: no Node imports.
import { ResultRejected, quoteUntrusted } from '../result-rejected';
import { ARCH_NAME, CONTROL_CHAR, PACKAGE_NAME, parseDep, utf8Length } from './names';
import { isValidPacmanVersion } from './version';

export const MAX_PKGINFO_BYTES = 64 * 1024;
const MAX_VALUE_CHARS = 4096;
const MAX_LIST_VALUES = 4096;

export interface Pkginfo {
  pkgname: string;
  /** Absent in packages from makepkg before 4.x; repo-add then writes no %BASE%. */
  pkgbase?: string;
  /** The full version, `[epoch:]pkgver-pkgrel`. */
  pkgver: string;
  pkgdesc?: string;
  url?: string;
  builddate?: number;
  packager?: string;
  /** Installed size in bytes. */
  size?: number;
  arch: string;
  license: string[];
  groups: string[];
  depends: string[];
  optdepends: string[];
  provides: string[];
  conflicts: string[];
  replaces: string[];
  backup: string[];
  makedepends: string[];
  checkdepends: string[];
}

type ListKey = 'license' | 'groups' | 'depends' | 'optdepends' | 'provides' | 'conflicts' | 'replaces' | 'backup' | 'makedepends' | 'checkdepends';
type SingleKey = 'pkgname' | 'pkgbase' | 'pkgver' | 'pkgdesc' | 'url' | 'builddate' | 'packager' | 'size' | 'arch';

/** .PKGINFO key → field; the lists are singular in .PKGINFO (`depend`), plural in desc (%DEPENDS%). */
const LISTS: Record<string, ListKey> = {
  license: 'license', group: 'groups', depend: 'depends', optdepend: 'optdepends', provides: 'provides',
  conflict: 'conflicts', replaces: 'replaces', backup: 'backup', makedepend: 'makedepends', checkdepend: 'checkdepends',
};
const SINGLES = new Set<string>(['pkgname', 'pkgbase', 'pkgver', 'pkgdesc', 'url', 'builddate', 'packager', 'size', 'arch']);
/** Written by makepkg, and meaning nothing to the repository. */
const IGNORED = new Set(['makepkgopt', 'xdata', 'pkgtype']);

/**
 * Parse a .PKGINFO strictly; throws ResultRejected. Values are whitespace-normalised as repo-add does (runs of
 * spaces become one, ends trimmed), so the desc Kiln writes is the desc repo-add would.
 */
export function parsePkginfo(text: string): Pkginfo {
  if (utf8Length(text) > MAX_PKGINFO_BYTES) throw new ResultRejected(`its .PKGINFO is over ${MAX_PKGINFO_BYTES / 1024} KiB`);
  const singles = new Map<SingleKey, string>();
  const lists: Record<ListKey, string[]> = {
    license: [], groups: [], depends: [], optdepends: [], provides: [], conflicts: [], replaces: [], backup: [], makedepends: [], checkdepends: [],
  };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [i, line] of lines.entries()) {
    const where = `.PKGINFO line ${i + 1}`;
    if (CONTROL_CHAR.test(line)) throw new ResultRejected(`${where} holds a control character`);
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-z][a-z0-9_]{0,63}) =(?: (.*))?$/.exec(line);
    if (!m) throw new ResultRejected(`${where} is not "key = value": ${quoteUntrusted(line)}`);
    const key = m[1];
    const value = (m[2] ?? '').replace(/ +/g, ' ').trim();
    if (value.length > MAX_VALUE_CHARS) throw new ResultRejected(`${where}: the value of ${key} is over ${MAX_VALUE_CHARS} characters`);
    // A desc line starting with `%` reads as a field name to anyone scanning for %FIELD% lines.
    if (value.startsWith('%')) throw new ResultRejected(`${where}: the value of ${key} starts with "%"`);
    const list = LISTS[key];
    if (list) {
      // An empty list value would be a blank line in desc, ending the list there.
      if (value === '') throw new ResultRejected(`${where}: ${key} has an empty value`);
      if (lists[list].length >= MAX_LIST_VALUES) throw new ResultRejected(`${where}: too many ${key} values`);
      lists[list].push(value);
    } else if (SINGLES.has(key)) {
      if (singles.has(key as SingleKey)) throw new ResultRejected(`${where}: ${key} is set twice`);
      singles.set(key as SingleKey, value);
    } else if (!IGNORED.has(key)) {
      // repo-add `declare`s every key as a shell variable: a `pgpsig` or `csize` line would reach its desc. Kiln
      // refuses any key it does not know rather than ignore one that some tool might act on.
      throw new ResultRejected(`${where}: ${key} is not a .PKGINFO key`);
    }
  }

  const get = (key: SingleKey) => singles.get(key) || undefined;
  const pkgname = get('pkgname');
  const pkgver = get('pkgver');
  const arch = get('arch');
  if (!pkgname) throw new ResultRejected('its .PKGINFO has no pkgname');
  if (!pkgver) throw new ResultRejected('its .PKGINFO has no pkgver');
  if (!arch) throw new ResultRejected('its .PKGINFO has no arch');
  if (!PACKAGE_NAME.test(pkgname)) throw new ResultRejected(`pkgname ${quoteUntrusted(pkgname)} is not a package name`);
  const pkgbase = get('pkgbase');
  if (pkgbase !== undefined && !PACKAGE_NAME.test(pkgbase)) throw new ResultRejected(`pkgbase ${quoteUntrusted(pkgbase)} is not a package name`);
  if (!isValidPacmanVersion(pkgver)) throw new ResultRejected(`pkgver ${quoteUntrusted(pkgver)} is not a pacman version ([epoch:]pkgver-pkgrel)`);
  if (arch !== 'any' && !ARCH_NAME.test(arch)) throw new ResultRejected(`arch ${quoteUntrusted(arch)} is not "any" or an architecture name`);

  for (const key of ['depends', 'conflicts', 'replaces', 'makedepends', 'checkdepends'] as const) {
    for (const v of lists[key]) if (!parseDep(v)) throw new ResultRejected(`${key} ${quoteUntrusted(v)} is not a dependency`);
  }
  for (const v of lists.provides) if (!parseDep(v, { onlyEquals: true })) throw new ResultRejected(`provides ${quoteUntrusted(v)} is not a name or name=version`);
  for (const v of lists.optdepends) {
    // `name[constraint][: description]` (alpm_dep_from_string splits at ": ").
    const sep = v.indexOf(': ');
    if (!parseDep(sep < 0 ? v : v.slice(0, sep))) throw new ResultRejected(`optdepends ${quoteUntrusted(v)} is not a dependency with an optional ": description"`);
  }
  for (const v of lists.groups) if (!PACKAGE_NAME.test(v)) throw new ResultRejected(`group ${quoteUntrusted(v)} is not a group name`);
  for (const v of lists.backup) {
    if (v.startsWith('/') || v.split('/').some((part) => part === '..' || part === '.' || part === '')) {
      throw new ResultRejected(`backup ${quoteUntrusted(v)} is not a relative path inside the package`);
    }
  }

  return {
    pkgname,
    pkgbase,
    pkgver,
    pkgdesc: get('pkgdesc'),
    url: get('url'),
    builddate: number(get('builddate'), 'builddate'),
    packager: get('packager'),
    size: number(get('size'), 'size'),
    arch,
    ...lists,
  };
}

function number(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value) || !Number.isSafeInteger(Number(value))) throw new ResultRejected(`${key} ${quoteUntrusted(value)} is not a number`);
  return Number(value);
}
