// pacman's version order (libalpm's alpm_pkg_vercmp, pacman 6.0.2), transcribed rule for rule: a repository that
// orders versions differently from the client would offer upgrades pacman never takes, or the reverse.
// Pure code: it runs in workflows too.

/**
 * Compare two versions `[epoch:]pkgver[-pkgrel]` as `vercmp` does: -1, 0 or 1. The epoch defaults to 0; the
 * releases only count when both versions have one (`1.0` equals `1.0-5`).
 */
export function vercmp(a: string, b: string): number {
  // C strings: a NUL ends them (argv can hold none, but a JS string can).
  a = cString(a);
  b = cString(b);
  if (a === b) return 0;
  const x = parseEvr(a);
  const y = parseEvr(b);
  let ret = rpmvercmp(x.epoch, y.epoch);
  if (ret === 0) {
    ret = rpmvercmp(x.version, y.version);
    if (ret === 0 && x.release !== undefined && y.release !== undefined) ret = rpmvercmp(x.release, y.release);
  }
  return ret;
}

/**
 * A version Kiln accepts from a recipe or a built package: what makepkg allows (pkgver has no `:`, `/`, `-` or
 * whitespace; pkgrel is `N` or `N.N`; epoch is digits), in printable ASCII so it can reach a file name and a desc
 * line safely. pkgver itself: letters, digits and `._+~` (makepkg refuses the rest in practice through the file
 * name); bounded length.
 */
export function isValidPacmanVersion(v: string): boolean {
  return v.length <= 128 && PACMAN_VERSION.test(v);
}

/** makepkg's pkgver rules (check_pkgver) narrowed to printable ASCII. */
export const PKGVER = /^[A-Za-z0-9._+~]+$/;
/** makepkg's pkgrel rule (check_pkgrel, pacman 6): digits, optionally a dot and digits. */
export const PKGREL = /^[0-9]+(\.[0-9]+)?$/;
export const EPOCH = /^[0-9]+$/;
const PACMAN_VERSION = /^(?:[0-9]+:)?[A-Za-z0-9._+~]+-[0-9]+(?:\.[0-9]+)?$/;

interface Evr {
  epoch: string;
  version: string;
  release?: string;
}

function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** parseEVR: leading digits then `:` are the epoch; after the last `-` (past the epoch digits) is the release. */
function parseEvr(evr: string): Evr {
  let s = 0;
  while (s < evr.length && isDigit(evr.charCodeAt(s))) s++;
  const dash = evr.lastIndexOf('-');
  const se = dash >= s ? dash : -1;
  let epoch = '0';
  let versionStart = 0;
  if (evr[s] === ':') {
    epoch = evr.slice(0, s) || '0';
    versionStart = s + 1;
  }
  if (se >= 0) return { epoch, version: evr.slice(versionStart, se), release: evr.slice(se + 1) };
  return { epoch, version: evr.slice(versionStart) };
}

/** rpmvercmp on UTF-8 bytes, as the C code sees them; only ASCII letters and digits form segments. */
function rpmvercmp(aText: string, bText: string): number {
  if (aText === bText) return 0;
  const a = utf8(aText);
  const b = utf8(bText);
  let one = 0;
  let two = 0;
  let ptr1 = 0;
  let ptr2 = 0;
  while (one < a.length && two < b.length) {
    while (one < a.length && !isAlnum(a[one])) one++;
    while (two < b.length && !isAlnum(b[two])) two++;
    if (!(one < a.length && two < b.length)) break;
    // Separator runs of different lengths decide (`1.0` vs `1..0`).
    if (one - ptr1 !== two - ptr2) return one - ptr1 < two - ptr2 ? -1 : 1;
    ptr1 = one;
    ptr2 = two;
    let isNum: boolean;
    if (isDigit(a[ptr1])) {
      while (ptr1 < a.length && isDigit(a[ptr1])) ptr1++;
      while (ptr2 < b.length && isDigit(b[ptr2])) ptr2++;
      isNum = true;
    } else {
      while (ptr1 < a.length && isAlpha(a[ptr1])) ptr1++;
      while (ptr2 < b.length && isAlpha(b[ptr2])) ptr2++;
      isNum = false;
    }
    if (one === ptr1) return -1; // cannot happen: a has a segment here
    // Segments of different kinds: numeric is newer than alpha.
    if (two === ptr2) return isNum ? 1 : -1;
    let s1 = one;
    let s2 = two;
    if (isNum) {
      while (s1 < ptr1 && a[s1] === 0x30) s1++;
      while (s2 < ptr2 && b[s2] === 0x30) s2++;
      // More digits wins; numbers of any length, no overflow.
      if (ptr1 - s1 !== ptr2 - s2) return ptr1 - s1 > ptr2 - s2 ? 1 : -1;
    }
    const rc = compareBytes(a, s1, ptr1, b, s2, ptr2);
    if (rc !== 0) return rc;
    one = ptr1;
    two = ptr2;
  }
  if (one >= a.length && two >= b.length) return 0;
  // The final showdown: a remaining alpha part never beats an empty one (`1.0a` < `1.0` < `1.0.1`).
  if ((one >= a.length && !isAlpha(b[two])) || isAlpha(a[one])) return -1;
  return 1;
}

function compareBytes(a: number[], from1: number, to1: number, b: number[], from2: number, to2: number): number {
  for (let i = 0; ; i++) {
    const end1 = from1 + i >= to1;
    const end2 = from2 + i >= to2;
    if (end1 || end2) return end1 && end2 ? 0 : end1 ? -1 : 1;
    const d = a[from1 + i] - b[from2 + i];
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}

/** UTF-8 bytes without Node's Buffer (this file is pure); a lone surrogate counts as U+FFFD, as TextEncoder does. */
function utf8(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    let cp = ch.codePointAt(0) ?? 0xfffd;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return out;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}
function isAlpha(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));
}
function isAlnum(c: number | undefined): boolean {
  return isDigit(c) || isAlpha(c);
}
