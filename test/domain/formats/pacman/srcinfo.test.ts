import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkdependsFor, dependsFor, makedependsFor, parseSrcinfo, providesFor, type SrcinfoRecipe } from '../../../../domain/formats/pacman/srcinfo';

// The fixtures are real `makepkg --printsrcinfo` output (pacman 6.0.2) of the PKGBUILDs beside them.
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../../../fixtures/pacman', `${name}.SRCINFO`), 'utf8');

function recipe(text: string): SrcinfoRecipe {
  const result = parseSrcinfo(text);
  if (!result.ok) throw new Error(result.error.message);
  return result.recipe;
}

describe('parseSrcinfo on makepkg output', () => {
  it('a single package: version, lists, constraints', () => {
    const r = recipe(fixture('simple'));
    expect(r).toMatchObject({ pkgbase: 'kiln-hello', version: '1.2.3-1', arch: ['any'], makedepends: [{ name: 'make' }], checkdepends: [{ name: 'diffutils' }] });
    expect(r.depends).toEqual([{ name: 'bash', constraint: '>=5.0' }, { name: 'coreutils' }]);
    expect(r.packages).toEqual([expect.objectContaining({ name: 'kiln-hello', arch: ['any'], depends: r.depends, provides: ['hello=1.2.3'] })]);
  });

  it('a split package with an epoch: per-package arch, depends and provides replace the pkgbase ones', () => {
    const r = recipe(fixture('split'));
    expect(r.pkgbase).toBe('kiln-suite');
    expect(r.version).toBe('2:2.0rc1-3');
    expect(r.arch).toEqual(['x86_64', 'aarch64']);
    expect(r.makedepends).toEqual([{ name: 'gcc' }, { name: 'cmake', constraint: '>=3.20' }]);
    const [core, doc, extra] = r.packages;
    expect(core).toMatchObject({ name: 'kiln-suite-core', arch: ['x86_64', 'aarch64'], depends: [{ name: 'glibc' }], provides: ['libsuite.so=2-64', 'suite-core'] });
    // `depends = ` (empty) in a package section empties the list.
    expect(doc).toMatchObject({ name: 'kiln-suite-doc', arch: ['any'], depends: [], provides: [] });
    expect(extra.depends).toEqual([{ name: 'kiln-suite-core', constraint: '=2:2.0rc1-3' }, { name: 'zlib', constraint: '<2' }]);
  });

  it('arch-specific keys: the deps for one arch add to the common ones', () => {
    const r = recipe(fixture('archdeps'));
    expect(r.version).toBe('0.9.1-2.1');
    expect(makedependsFor(r, 'x86_64')).toEqual([{ name: 'nasm' }, { name: 'yasm', constraint: '>=1.3' }]);
    expect(makedependsFor(r, 'armv7h')).toEqual([{ name: 'nasm' }, { name: 'gcc-arm' }]);
    expect(makedependsFor(r, 'i686')).toEqual([{ name: 'nasm' }]);
    expect(checkdependsFor(r, 'i686')).toEqual([{ name: 'valgrind' }]);
    expect(checkdependsFor(r, 'x86_64')).toEqual([]);
    const [pkg] = r.packages;
    expect(dependsFor(pkg, 'x86_64')).toEqual([{ name: 'glibc' }, { name: 'lib32-glibc' }]);
    expect(dependsFor(pkg, 'i686')).toEqual([{ name: 'glibc' }]);
    expect(providesFor(pkg, 'x86_64')).toEqual([]);
  });

  it('a package section may set its own arch-specific depends, replacing the pkgbase ones for that arch', () => {
    const text = 'pkgbase = b\n\tpkgver = 1\n\tpkgrel = 1\n\tarch = x86_64\n\tdepends_x86_64 = one\n\npkgname = p\n\tdepends_x86_64 = two\n\npkgname = q\n';
    const r = recipe(text);
    expect(dependsFor(r.packages[0], 'x86_64')).toEqual([{ name: 'two' }]);
    expect(dependsFor(r.packages[1], 'x86_64')).toEqual([{ name: 'one' }]);
  });

  it('epoch 0 is not written into the version', () => {
    expect(recipe('pkgbase = b\n\tpkgver = 1\n\tpkgrel = 1\n\tepoch = 0\n\tarch = any\n\npkgname = b\n').version).toBe('1-1');
  });
});

describe('parseSrcinfo refuses', () => {
  const base = (extra = '', pkgs = '\npkgname = p\n') => `pkgbase = b\n\tpkgver = 1.0\n\tpkgrel = 1\n\tarch = x86_64\n${extra}${pkgs}`;
  it.each([
    ['no pkgbase', 'pkgname = p\n\tarch = any\n', 'does not start with a pkgbase'],
    ['no pkgver', 'pkgbase = b\n\tpkgrel = 1\n\tarch = any\n\npkgname = b\n', 'no pkgver'],
    ['no pkgrel', 'pkgbase = b\n\tpkgver = 1\n\tarch = any\n\npkgname = b\n', 'no pkgrel'],
    ['no package', base('', ''), 'names no package'],
    ['no arch', 'pkgbase = b\n\tpkgver = 1\n\tpkgrel = 1\n\npkgname = b\n', 'has no arch'],
    ['a duplicate pkgname', base('', '\npkgname = p\n\npkgname = p\n'), 'named twice'],
    ['an upper-case name', base('', '\npkgname = Foo\n'), 'not a package name'],
    ['a name starting with a dash', base('', '\npkgname = -rf\n'), 'not a package name'],
    ['a name starting with a dot', base('', '\npkgname = .hidden\n'), 'not a package name'],
    ['a path as a name', base('', '\npkgname = ../x\n'), 'not a package name'],
    ['a pkgver with a dash', base().replace('1.0', '1.0-2'), 'pkgver'],
    ['a pkgver with a colon', base().replace('1.0', '1:0'), 'pkgver'],
    ['a bad pkgrel', base().replace('pkgrel = 1', 'pkgrel = 1a'), 'pkgrel'],
    ['a bad epoch', base('\tepoch = x\n'), 'epoch'],
    ['a bad arch', base('\tarch = x86-64\n'), 'arch'],
    ['any with another arch', base('\tarch = any\n'), 'cannot be combined'],
    ['an arch key for any', base('\tdepends_any = x\n'), 'not for an architecture'],
    ['an arch-specific key for an arch not built', base('\tdepends_aarch64 = x\n'), 'does not build for aarch64'],
    ['a package arch-specific key for an arch it does not build', base('', '\npkgname = p\n\tarch = any\n\tdepends_x86_64 = x\n'), 'does not build for x86_64'],
    ['a bad dependency', base('\tdepends = foo>>1\n'), 'not a dependency'],
    ['a dependency version with a space', base('\tdepends = foo>=1 2\n'), 'not a dependency'],
    ['provides with >=', base('\tprovides = foo>=1\n'), 'name=version'],
    ['a repeated pkgver', base('\tpkgver = 2.0\n'), 'set twice'],
    ['pkgver in a package section', base('', '\npkgname = p\n\tpkgver = 2\n'), 'not a key makepkg writes'],
    ['makedepends in a package section', base('', '\npkgname = p\n\tmakedepends = x\n'), 'not a key makepkg writes'],
    ['an unknown key', base('\tdepens = x\n'), 'not a key makepkg writes'],
    ['an escape character', base('\tpkgdesc = a\u001b[2Jb\n'), 'control character'],
    ['a carriage return', base('\tpkgdesc = a\r\n'), 'control character'],
    ['a NUL', base('\tpkgdesc = a\u0000\n'), 'control character'],
    ['a line that is no key = value', base('\tjust words\n'), 'not "key = value"'],
    ['an indented section header', base('', '\n\tpkgname = p\n'), 'not indented'],
    ['a second pkgbase', base('', '\npkgbase = c\n'), 'second pkgbase'],
    ['a key before any section', '\tarch = any\npkgbase = b\n', 'before the pkgbase'],
    ['over-long input', base(`\tpkgdesc = x\n${'#'.repeat(300 * 1024)}\n`), 'over 256 KiB'],
  ])('%s', (_what, text, message) => {
    const result = parseSrcinfo(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('RECIPE_INVALID');
      expect(result.error.message).toContain(message);
    }
  });
});
