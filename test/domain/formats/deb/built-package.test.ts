import { describe, expect, it } from 'vitest';
import { canonicalDebName, checkBuiltPackage, isDebResultName, parseBuiltControl } from '../../../../domain/formats/deb/built-package';

const control = (extra = '', arch = 'amd64', pkg = 'kiln-hello') =>
  `Package: ${pkg}\nVersion: 1:1.0-1\nArchitecture: ${arch}\nMaintainer: K <k@kiln.invalid>\n${extra}Description: hello\n more text\n .\n end\n`;

describe('parseBuiltControl', () => {
  it('takes a well-formed stanza, continuation lines included', () => {
    const parsed = parseBuiltControl(control());
    expect(parsed).toMatchObject({ package: 'kiln-hello', version: '1:1.0-1', architecture: 'amd64' });
    expect(parsed.text.endsWith(' end')).toBe(true);
  });

  it.each([
    ['a blank line (a second stanza)', control('Depends: x\n\nPackage: libc6\n')],
    ['a Filename field', control('Filename: ../../x.deb\n')],
    ['a SHA256 field', control('SHA256: 00\n')],
    ['a control character', control('X-Evil: a\u001bb\n')],
    ['a repeated field', control('Package: other\n')],
    ['a path as Architecture', control('', '../../../../tmp/x')],
    ['an upper-case package name', control('', 'amd64', 'LibC6')],
    ['a line that is no field', control('no colon here\n')],
    ['a bad version', 'Package: a1\nVersion: 1.0/../x\nArchitecture: amd64\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parseBuiltControl(text)).toThrow();
  });
});

describe('checkBuiltPackage', () => {
  const expected = { arch: 'amd64', scope: 'both' as const, version: '1:1.0-1', binaries: [{ name: 'kiln-hello', all: false }, { name: 'kiln-hello-doc', all: true }] };
  const pkg = (name: string, architecture: string) => ({ package: name, version: '1:1.0-1', architecture });

  it('accepts declared packages, their -dbgsym, under canonical names', () => {
    expect(canonicalDebName(pkg('kiln-hello', 'amd64'))).toBe('kiln-hello_1.0-1_amd64.deb');
    expect(() => checkBuiltPackage('kiln-hello_1.0-1_amd64.deb', pkg('kiln-hello', 'amd64'), expected)).not.toThrow();
    expect(() => checkBuiltPackage('kiln-hello-dbgsym_1.0-1_amd64.deb', pkg('kiln-hello-dbgsym', 'amd64'), expected)).not.toThrow();
    expect(() => checkBuiltPackage('kiln-hello-doc_1.0-1_all.deb', pkg('kiln-hello-doc', 'all'), expected)).not.toThrow();
  });

  it.each([
    ['an undeclared package', 'libc6_1.0-1_amd64.deb', pkg('libc6', 'amd64'), 'not declared'],
    ['another arch', 'kiln-hello_1.0-1_i386.deb', pkg('kiln-hello', 'i386'), 'not what this build makes'],
    ['a name that is not canonical', 'other.deb', pkg('kiln-hello', 'amd64'), 'names kiln-hello_1.0-1_amd64.deb'],
    ['an all package built as arch', 'kiln-hello-doc_1.0-1_amd64.deb', pkg('kiln-hello-doc', 'amd64'), 'declared Architecture: all'],
    ['another version', 'kiln-hello_2.0_amd64.deb', { ...pkg('kiln-hello', 'amd64'), version: '2.0' }, 'not the recipe'],
  ])('refuses %s', (_what, file, built, message) => {
    expect(() => checkBuiltPackage(file, built, expected)).toThrow(message);
  });

  it('an arch-only build may not produce all packages', () => {
    expect(() => checkBuiltPackage('kiln-hello-doc_1.0-1_all.deb', pkg('kiln-hello-doc', 'all'), { ...expected, scope: 'any' })).toThrow('not what this build makes');
  });

  it('result names: only what dpkg-buildpackage makes, no hidden or odd names', () => {
    expect(isDebResultName('kiln-hello_1.0_amd64.buildinfo')).toBe(true);
    for (const bad of ['.hidden.deb', 'a/b.deb', 'a\nb.deb', 'notes.txt', 'x y.deb']) expect(isDebResultName(bad)).toBe(false);
  });
});
