// A pacman recipe as `makepkg --printsrcinfo` describes it (.SRCINFO): a `pkgbase = ...` section, then one
// `pkgname = ...` section per package, each of tab-indented `key = value` lines; a key repeated adds to a list, and a
// key set in a package section replaces the pkgbase value for that package (an empty value empties it). Keys for
// one architecture carry a suffix (`depends_x86_64`) and add to the plain key when building for it, as makepkg's
// merge_arch_attrs does. The text comes from a push: anything makepkg would not write is refused, never guessed at.
// Pure code: no Node imports.
import { ARCH_NAME, CONTROL_CHAR, PACKAGE_NAME, parseDep, utf8Length, type Dep } from './names';
import { EPOCH, PKGREL, PKGVER } from './version';

export type { Dep } from './names';

export const MAX_SRCINFO_BYTES = 256 * 1024;
const MAX_VALUE_CHARS = 4096;
const MAX_PACKAGES = 256;

export interface SrcinfoPackage {
  name: string;
  /** The package's own arch list, or the pkgbase's. */
  arch: string[];
  /** For every architecture (inherited from pkgbase unless the package sets its own); see dependsFor. */
  depends: Dep[];
  provides: string[];
  /** Per architecture: the `depends_<arch>` / `provides_<arch>` in effect for this package. */
  archDepends: Record<string, Dep[]>;
  archProvides: Record<string, string[]>;
}

export interface SrcinfoRecipe {
  pkgbase: string;
  /** `[epoch:]pkgver-pkgrel` as makepkg writes it (get_full_version: no epoch when it is 0). */
  version: string;
  arch: string[];
  makedepends: Dep[];
  checkdepends: Dep[];
  /** pkgbase-level, for every architecture. */
  depends: Dep[];
  packages: SrcinfoPackage[];
  /** The `<key>_<arch>` lists of the pkgbase section, by architecture. */
  archMakedepends: Record<string, Dep[]>;
  archCheckdepends: Record<string, Dep[]>;
}

export type SrcinfoResult =
  | { ok: true; recipe: SrcinfoRecipe }
  | { ok: false; error: { code: 'RECIPE_INVALID'; message: string } };

/** What a build for `arch` needs installed before it starts (makedepends + checkdepends + depends, as makepkg -s). */
export function makedependsFor(recipe: SrcinfoRecipe, arch: string): Dep[] {
  return [...recipe.makedepends, ...(recipe.archMakedepends[arch] ?? [])];
}
export function checkdependsFor(recipe: SrcinfoRecipe, arch: string): Dep[] {
  return [...recipe.checkdepends, ...(recipe.archCheckdepends[arch] ?? [])];
}
/** A package's runtime dependencies when built for `arch` (what its .PKGINFO will say). */
export function dependsFor(pkg: SrcinfoPackage, arch: string): Dep[] {
  return [...pkg.depends, ...(pkg.archDepends[arch] ?? [])];
}
export function providesFor(pkg: SrcinfoPackage, arch: string): string[] {
  return [...pkg.provides, ...(pkg.archProvides[arch] ?? [])];
}

// The keys makepkg writes (srcinfo.sh, pacman 6.0.2). Others are refused: a typo would silently drop a dependency.
const SUMS = ['ck', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'b2'].map((a) => `${a}sums`);
const ARCH_KEYS = new Set(['source', 'provides', 'conflicts', 'depends', 'replaces', 'optdepends', 'makedepends', 'checkdepends', ...SUMS]);
const BASE_SINGLE = new Set(['pkgdesc', 'pkgver', 'pkgrel', 'epoch', 'url', 'install', 'changelog']);
const BASE_MULTI = new Set(['arch', 'groups', 'license', 'checkdepends', 'makedepends', 'depends', 'optdepends', 'provides', 'conflicts',
  'replaces', 'noextract', 'options', 'backup', 'source', 'validpgpkeys', ...SUMS]);
const PKG_SINGLE = new Set(['pkgdesc', 'url', 'install', 'changelog']);
const PKG_MULTI = new Set(['arch', 'groups', 'license', 'checkdepends', 'depends', 'optdepends', 'provides', 'conflicts', 'replaces', 'options', 'backup']);
/** In a package section makepkg writes these only per arch; a build-time key there would mean nothing. */
const PKG_ARCH_KEYS = new Set(['provides', 'conflicts', 'depends', 'replaces', 'optdepends', 'checkdepends']);

class Invalid extends Error {}

interface Section {
  kind: 'pkgbase' | 'pkgname';
  name: string;
  line: number;
  /** Every key seen, even with only an empty value: a package's key replaces the pkgbase's. */
  values: Map<string, string[]>;
}

export function parseSrcinfo(text: string): SrcinfoResult {
  try {
    return { ok: true, recipe: parse(text) };
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    return { ok: false, error: { code: 'RECIPE_INVALID', message: `.SRCINFO: ${e.message}` } };
  }
}

function parse(text: string): SrcinfoRecipe {
  if (utf8Length(text) > MAX_SRCINFO_BYTES) throw new Invalid(`it is over ${MAX_SRCINFO_BYTES / 1024} KiB`);
  const sections = readSections(text);
  const base = sections[0];
  if (!base || base.kind !== 'pkgbase') throw new Invalid('it does not start with a pkgbase section');
  const packages = sections.slice(1);
  if (packages.length === 0) throw new Invalid('it names no package (no pkgname section)');
  if (packages.length > MAX_PACKAGES) throw new Invalid(`it names more than ${MAX_PACKAGES} packages`);
  checkName(base.name, base.line, 'pkgbase');
  const seen = new Set<string>();
  for (const p of packages) {
    checkName(p.name, p.line, 'pkgname');
    if (seen.has(p.name)) throw new Invalid(`line ${p.line}: package ${p.name} is named twice`);
    seen.add(p.name);
  }

  const pkgver = single(base, 'pkgver', true);
  const pkgrel = single(base, 'pkgrel', true);
  const epoch = single(base, 'epoch', false);
  if (!PKGVER.test(pkgver) || pkgver.length > 100) throw new Invalid(`pkgver ${JSON.stringify(pkgver)} is not a pacman version (letters, digits, ".", "_", "+", "~")`);
  if (!PKGREL.test(pkgrel) || pkgrel.length > 16) throw new Invalid(`pkgrel ${JSON.stringify(pkgrel)} is not N or N.N`);
  if (epoch !== undefined && (!EPOCH.test(epoch) || /^0\d/.test(epoch) || epoch.length > 9)) throw new Invalid(`epoch ${JSON.stringify(epoch)} is not a number`);
  const version = epoch && Number(epoch) > 0 ? `${epoch}:${pkgver}-${pkgrel}` : `${pkgver}-${pkgrel}`;

  const baseArch = archList(base.values.get('arch') ?? [], 'pkgbase');
  if (baseArch.length === 0) throw new Invalid('pkgbase has no arch');
  checkArchKeys(base, baseArch);
  const deps = (s: Section, key: string) => depList(s.values.get(key) ?? [], key);
  // A package's key, when present, replaces the pkgbase's; otherwise the pkgbase's is inherited.
  const inherited = (p: Section, key: string) => (p.values.has(key) ? p : base);
  const archInherited = <T>(p: Section, key: string, read: (values: string[], key: string) => T[]): Record<string, T[]> =>
    ({ ...perArch(base, key, read), ...perArch(p, key, read) });

  return {
    pkgbase: base.name,
    version,
    arch: baseArch,
    makedepends: deps(base, 'makedepends'),
    checkdepends: deps(base, 'checkdepends'),
    depends: deps(base, 'depends'),
    archMakedepends: perArch(base, 'makedepends', depList),
    archCheckdepends: perArch(base, 'checkdepends', depList),
    packages: packages.map((p) => {
      const arch = p.values.has('arch') ? archList(p.values.get('arch') ?? [], `package ${p.name}`) : baseArch;
      if (arch.length === 0) throw new Invalid(`line ${p.line}: package ${p.name} has an empty arch`);
      checkArchKeys(p, arch);
      return {
        name: p.name,
        arch,
        depends: deps(inherited(p, 'depends'), 'depends'),
        provides: provideList(inherited(p, 'provides').values.get('provides') ?? [], 'provides'),
        archDepends: archInherited(p, 'depends', depList),
        archProvides: archInherited(p, 'provides', provideList),
      };
    }),
  };
}

/** The `<key>_<arch>` values of one section, by architecture. */
function perArch<T>(s: Section, key: string, read: (values: string[], key: string) => T[]): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const [k, values] of s.values) {
    if (k.startsWith(`${key}_`)) out[k.slice(key.length + 1)] = read(values, k);
  }
  return out;
}

function readSections(text: string): Section[] {
  const sections: Section[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [i, raw] of lines.entries()) {
    const n = i + 1;
    // Tabs indent; anywhere else, like any control character (CR included), they are refused.
    const line = raw.replace(/^\t/, '');
    if (CONTROL_CHAR.test(line)) throw new Invalid(`line ${n} holds a control character`);
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^([a-z0-9_]{1,64}) =(?: (.*))?$/.exec(line);
    if (!m) throw new Invalid(`line ${n} is not "key = value": ${JSON.stringify(line.slice(0, 80))}`);
    const key = m[1];
    // makepkg trims values; a value with edge spaces was not written by it.
    const value = m[2] ?? '';
    if (value !== value.trim()) throw new Invalid(`line ${n}: the value of ${key} has leading or trailing spaces`);
    if (value.length > MAX_VALUE_CHARS) throw new Invalid(`line ${n}: the value of ${key} is over ${MAX_VALUE_CHARS} characters`);
    if (key === 'pkgbase' || key === 'pkgname') {
      if (raw !== line) throw new Invalid(`line ${n}: ${key} starts a section and is not indented`);
      if (key === 'pkgbase' && sections.length > 0) throw new Invalid(`line ${n}: a second pkgbase`);
      sections.push({ kind: key, name: value, line: n, values: new Map() });
      continue;
    }
    const section = sections[sections.length - 1];
    if (!section) throw new Invalid(`line ${n}: ${key} comes before the pkgbase section`);
    checkKey(section, key, n);
    const values = section.values.get(key) ?? [];
    if (value !== '') values.push(value);
    section.values.set(key, values);
    if (values.length > 4096) throw new Invalid(`line ${n}: ${key} has too many values`);
  }
  return sections;
}

function checkKey(section: Section, key: string, n: number): void {
  const isBase = section.kind === 'pkgbase';
  const suffix = /^([a-z0-9]+)_([a-z0-9_]+)$/.exec(key);
  const plain = suffix && (isBase ? ARCH_KEYS : PKG_ARCH_KEYS).has(suffix[1]) ? suffix[1] : undefined;
  if (plain) {
    const arch = suffix![2];
    if (arch === 'any' || !ARCH_NAME.test(arch)) throw new Invalid(`line ${n}: ${key} is not for an architecture`);
    return;
  }
  const single = isBase ? BASE_SINGLE : PKG_SINGLE;
  const multi = isBase ? BASE_MULTI : PKG_MULTI;
  if (single.has(key)) {
    if (section.values.has(key)) throw new Invalid(`line ${n}: ${key} is set twice in ${section.kind} ${section.name}`);
    return;
  }
  if (multi.has(key)) return;
  throw new Invalid(`line ${n}: ${key} is not a key makepkg writes in a ${section.kind} section`);
}

function single(s: Section, key: string, required: true): string;
function single(s: Section, key: string, required: false): string | undefined;
function single(s: Section, key: string, required: boolean): string | undefined {
  const value = s.values.get(key)?.[0];
  if (required && !value) throw new Invalid(`pkgbase ${s.name} has no ${key}`);
  return value;
}

/** makepkg (lint_pkgbuild/arch_specific.sh) refuses `depends_<arch>` for an arch the section does not build. */
function checkArchKeys(s: Section, arch: string[]): void {
  for (const key of s.values.keys()) {
    const m = /^([a-z0-9]+)_([a-z0-9_]+)$/.exec(key);
    if (m && ARCH_KEYS.has(m[1]) && !arch.includes(m[2])) {
      throw new Invalid(`${s.kind} ${s.name} sets ${key}, but does not build for ${m[2]} (arch: ${arch.join(' ')})`);
    }
  }
}

function checkName(name: string, line: number, key: string): void {
  if (!PACKAGE_NAME.test(name)) {
    throw new Invalid(`line ${line}: ${key} ${JSON.stringify(name)} is not a package name (a-z, 0-9, "@._+-", not starting with "-" or ".")`);
  }
}

function archList(values: string[], where: string): string[] {
  for (const a of values) {
    if (a !== 'any' && !ARCH_NAME.test(a)) throw new Invalid(`${where}: arch ${JSON.stringify(a)} is not "any" or an architecture name`);
  }
  if (values.includes('any') && values.length > 1) throw new Invalid(`${where}: arch "any" cannot be combined with others`);
  if (new Set(values).size !== values.length) throw new Invalid(`${where}: an arch is listed twice`);
  return values;
}

function depList(values: string[], key: string): Dep[] {
  return values.map((v) => {
    const dep = parseDep(v);
    if (!dep) throw new Invalid(`${key}: ${JSON.stringify(v)} is not a dependency (name, or name with >=, <=, =, <, > and a version)`);
    return dep;
  });
}

function provideList(values: string[], key: string): string[] {
  for (const v of values) {
    if (!parseDep(v, { onlyEquals: true })) throw new Invalid(`${key}: ${JSON.stringify(v)} is not a name or name=version`);
  }
  return values;
}
