// Debian version numbers: `[epoch:]upstream[-revision]`, parsed and ordered exactly as dpkg does
// (lib/dpkg/parsehelp.c parseversion, lib/dpkg/version.c verrevcmp), so Kiln never disagrees with apt about
// which of two builds is newer.
import { KilnError } from '../../errors';

export interface DebianVersion {
  epoch: number;
  upstream: string;
  /** '' when the version has no `-revision` (a native package); dpkg orders '' like '0'. */
  revision: string;
}

export type RelationOperator = '<<' | '<=' | '=' | '>=' | '>>';

export const RELATION_OPERATORS: readonly RelationOperator[] = ['<<', '<=', '=', '>=', '>>'];

export function isRelationOperator(op: string): op is RelationOperator {
  return (RELATION_OPERATORS as readonly string[]).includes(op);
}

// dpkg stores the epoch in an int.
const MAX_EPOCH = 2_147_483_647;

function invalid(text: string, reason: string): KilnError {
  return new KilnError('RECIPE_INVALID', `invalid version "${text}": ${reason}`, { version: text });
}

/**
 * Parses a version; throws a RECIPE_INVALID KilnError where dpkg would refuse it. dpkg only warns about a leading
 * non-digit or a stray character; dpkg-source and dpkg-buildpackage refuse those, so Kiln does too.
 */
export function parseVersion(text: string): DebianVersion {
  const trimmed = text.trim();
  if (trimmed === '') throw invalid(text, 'version string is empty');
  if (/\s/.test(trimmed)) throw invalid(text, 'version string has embedded spaces');

  let epoch = 0;
  let rest = trimmed;
  const colon = trimmed.indexOf(':');
  if (colon >= 0) {
    const epochText = trimmed.slice(0, colon);
    if (epochText === '') throw invalid(text, 'epoch in version is empty');
    if (!/^[0-9]+$/.test(epochText)) throw invalid(text, 'epoch in version is not number');
    epoch = Number(epochText);
    if (epoch > MAX_EPOCH) throw invalid(text, 'epoch in version is too big');
    rest = trimmed.slice(colon + 1);
  }

  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') throw invalid(text, 'revision number is empty');
  }
  if (upstream === '') throw invalid(text, 'version number is empty');
  if (!/^[0-9]/.test(upstream)) throw invalid(text, 'version number does not start with digit');
  if (!/^[A-Za-z0-9.+~:-]+$/.test(upstream)) throw invalid(text, 'invalid character in version number');
  if (!/^[A-Za-z0-9.+~]+$/.test(revision) && revision !== '') throw invalid(text, 'invalid character in revision number');
  return { epoch, upstream, revision };
}

/** The canonical text of a version (the epoch only when non-zero). */
export function formatVersion(version: DebianVersion): string {
  const epoch = version.epoch > 0 ? `${version.epoch}:` : '';
  const revision = version.revision !== '' ? `-${version.revision}` : '';
  return `${epoch}${version.upstream}${revision}`;
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

// dpkg's order(): `~` before the end of the string, the end before letters, letters before everything else.
function order(c: string): number {
  if (c === '') return 0;
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

// dpkg's verrevcmp(): alternate non-digit runs (compared by order()) and digit runs (compared as numbers).
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a.charAt(i));
      const bc = order(b.charAt(j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charAt(i) === '0') i++;
    while (b.charAt(j) === '0') j++;
    let firstDiff = 0;
    while (isDigit(a.charAt(i)) && isDigit(b.charAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charAt(i))) return 1;
    if (isDigit(b.charAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

const asVersion = (v: string | DebianVersion): DebianVersion => (typeof v === 'string' ? parseVersion(v) : v);

/** -1, 0 or 1 as `a` sorts before, equal to, or after `b` in dpkg's order. Throws on an invalid version string. */
export function compareVersions(a: string | DebianVersion, b: string | DebianVersion): number {
  const va = asVersion(a);
  const vb = asVersion(b);
  const diff = va.epoch !== vb.epoch
    ? va.epoch - vb.epoch
    : compareFragment(va.upstream, vb.upstream) || compareFragment(va.revision, vb.revision);
  return Math.sign(diff);
}

/** Does `version` satisfy the relation `(op constraint)`, e.g. `satisfies('1.2-1', '>=', '1.0')`? */
export function satisfies(version: string | DebianVersion, op: RelationOperator, constraint: string | DebianVersion): boolean {
  const c = compareVersions(version, constraint);
  switch (op) {
    case '<<': return c < 0;
    case '<=': return c <= 0;
    case '=': return c === 0;
    case '>=': return c >= 0;
    case '>>': return c > 0;
  }
}
