// The words of pacman metadata that Kiln lets through: package names, architectures, dependencies. A name becomes a
// file name and a line of a repository database, so each is checked against the narrowest rule pacman itself uses.
// Pure code: no Node imports.
import { EPOCH, PKGREL, PKGVER } from './version';

/** makepkg's pkgname rule (lint_pkgbuild/pkgname.sh) in the lower case Arch policy asks for; bounded length. */
export const PACKAGE_NAME = /^[a-z0-9@_+][a-z0-9@._+-]{0,127}$/;
/** `any`, or an architecture name as makepkg and pacman.conf spell them (x86_64, aarch64, armv7h, i686). */
export const ARCH_NAME = /^[a-z0-9_]{1,32}$/;
/** Control characters (tab included: it is no part of any value), DEL and the C1 range. */
export const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;

export interface Dep {
  name: string;
  /** The operator and version, as written: `>=1.2`, `=2:1.0-1`, `<2`. */
  constraint?: string;
}

/** A version as a dependency may name it: the release and the epoch are optional (`bash>=5.0`). */
export function isDepVersion(v: string): boolean {
  if (v.length > 128) return false;
  const m = /^(?:([^:]*):)?([^-]*)(?:-(.*))?$/.exec(v);
  if (!m) return false;
  const [, epoch, pkgver, pkgrel] = m;
  return (epoch === undefined || EPOCH.test(epoch)) && PKGVER.test(pkgver) && (pkgrel === undefined || PKGREL.test(pkgrel));
}

/**
 * `name`, or `name<op>version` with op one of `>= <= = < >` (alpm_dep_from_string); `provides` only allows `=`.
 * Returns undefined for anything else, so each caller words its own error.
 */
export function parseDep(text: string, opts: { onlyEquals?: boolean } = {}): Dep | undefined {
  const m = /^([^<>=]+)(?:(>=|<=|=|<|>)(.*))?$/.exec(text);
  if (!m) return undefined;
  const [, name, op, version] = m;
  if (!PACKAGE_NAME.test(name)) return undefined;
  if (op === undefined) return { name };
  if (opts.onlyEquals && op !== '=') return undefined;
  if (!isDepVersion(version)) return undefined;
  return { name, constraint: `${op}${version}` };
}

export function formatDep(dep: Dep): string {
  return `${dep.name}${dep.constraint ?? ''}`;
}

/** UTF-8 length without Node's Buffer (this directory is pure). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++; }
    else n += 3;
  }
  return n;
}
