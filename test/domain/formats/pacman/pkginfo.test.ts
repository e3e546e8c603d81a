import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePkginfo } from '../../../../domain/formats/pacman/pkginfo';
import { ResultRejected } from '../../../../domain/formats/deb/built-package';

// A real .PKGINFO, from makepkg 6.0.2 building hello-pkg.PKGBUILD.
const REAL = fs.readFileSync(path.join(__dirname, '../../../fixtures/pacman/hello-pkg.PKGINFO'), 'utf8');
const minimal = (extra = '') => `pkgname = p\npkgbase = p\npkgver = 1.0-1\narch = x86_64\n${extra}`;

describe('parsePkginfo', () => {
  it('reads makepkg output: comments skipped, lists gathered, whitespace normalised', () => {
    expect(parsePkginfo(REAL)).toEqual({
      pkgname: 'kiln-hello', pkgbase: 'kiln-hello', pkgver: '1:1.2.3-1', pkgdesc: 'A hello world package', url: 'https://kiln.invalid/hello',
      builddate: 1796176503, packager: 'Unknown Packager', size: 0, arch: 'any',
      license: ['MIT'], groups: ['kiln'], provides: ['hello=1.2.3'], backup: ['etc/hello.conf'], depends: ['bash>=5.0', 'coreutils'],
      optdepends: ['less: paging the output'], conflicts: [], replaces: [], makedepends: [], checkdepends: [],
    });
  });

  it('an empty pkgdesc is absent; makepkgopt and xdata are ignored; spaces collapse as repo-add collapses them', () => {
    const info = parsePkginfo(minimal('pkgdesc = \nmakepkgopt = strip\nxdata = pkgtype=pkg\nlicense = GPL  and   more \n'));
    expect(info.pkgdesc).toBeUndefined();
    expect(info.license).toEqual(['GPL and more']);
  });

  it.each([
    ['no pkgname', 'pkgver = 1.0-1\narch = any\n', 'no pkgname'],
    ['no pkgver', 'pkgname = p\narch = any\n', 'no pkgver'],
    ['no arch', 'pkgname = p\npkgver = 1.0-1\n', 'no arch'],
    ['a version without pkgrel', minimal().replace('1.0-1', '1.0'), 'not a pacman version'],
    ['a path as a name', minimal().replace('pkgname = p', 'pkgname = ../../etc'), 'not a package name'],
    ['a bad arch', minimal().replace('x86_64', 'x86/64'), 'not "any"'],
    ['a carriage return', minimal('pkgdesc = a\rb\n'), 'control character'],
    ['an escape sequence', minimal('pkgdesc = \u001b[31mred\n'), 'control character'],
    ['a tab', minimal('pkgdesc = a\tb\n'), 'control character'],
    ['a value starting with %', minimal('pkgdesc = %FILENAME%\n'), 'starts with "%"'],
    ['an empty list value (a blank desc line)', minimal('depend = \n'), 'empty value'],
    ['a repeated single key', minimal('pkgname = q\n'), 'set twice'],
    ['a pgpsig key', minimal('pgpsig = AAAA\n'), 'not a .PKGINFO key'],
    ['a csize key', minimal('csize = 1\n'), 'not a .PKGINFO key'],
    ['a line that is no key', minimal('hello\n'), 'not "key = value"'],
    ['a bad dependency', minimal('depend = foo>=\n'), 'not a dependency'],
    ['a bad optdepend', minimal('optdepend = Foo: x\n'), 'optdepends'],
    ['provides with <', minimal('provides = foo<1\n'), 'provides'],
    ['an absolute backup path', minimal('backup = /etc/passwd\n'), 'backup'],
    ['a backup path with ..', minimal('backup = etc/../../x\n'), 'backup'],
    ['a size that is no number', minimal('size = 1e9\n'), 'not a number'],
    ['a long value', minimal(`pkgdesc = ${'x'.repeat(5000)}\n`), 'over 4096'],
    ['a file over 64 KiB', minimal(`${'# x\n'.repeat(20000)}`), 'over 64 KiB'],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parsePkginfo(text)).toThrow(ResultRejected);
    expect(() => parsePkginfo(text)).toThrow(message);
  });

  it('a newline cannot inject a field: the next line must itself be a valid key', () => {
    expect(() => parsePkginfo(minimal('pkgdesc = x\n%DEPENDS%\nevil\n'))).toThrow('not "key = value"');
  });
});
