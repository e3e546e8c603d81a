import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePkginfo, type Pkginfo } from '../../../../domain/formats/pacman/pkginfo';
import { descEntry, entryDirName, filesEntry } from '../../../../domain/formats/pacman/repo-entry';

// The fixtures are what makepkg and repo-add (pacman 6.0.2) made of hello-pkg.PKGBUILD.
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../../../fixtures/pacman', name), 'utf8');
const FILE = {
  filename: 'kiln-hello-1:1.2.3-1-any.pkg.tar.zst', csize: 1252,
  md5: 'b836efb86d1ede71ff101dfe2d7a3464', sha256: 'fa2271fdc14a59ab6f8621cafdd712902be6b8b7d73776939d51856e7083eca3',
};

describe('descEntry', () => {
  it('is byte for byte the desc repo-add wrote', () => {
    expect(descEntry(parsePkginfo(fixture('hello-pkg.PKGINFO')), FILE)).toBe(fixture('hello-pkg.desc'));
  });

  it('keeps repo-add order for every field, and leaves out empty ones', () => {
    const info: Pkginfo = {
      pkgname: 'p', pkgver: '1-1', arch: 'x86_64', license: [], groups: [], depends: ['a', 'b>=1'], optdepends: [], provides: [], conflicts: ['c'],
      replaces: ['d'], backup: ['etc/x'], makedepends: ['m'], checkdepends: ['k'],
    };
    const desc = descEntry(info, { ...FILE, filename: 'p-1-1-x86_64.pkg.tar.zst', pgpsig: 'AAAA' });
    expect(desc.match(/^%[A-Z0-9]+%$/gm)).toEqual(['%FILENAME%', '%NAME%', '%VERSION%', '%CSIZE%', '%MD5SUM%', '%SHA256SUM%', '%PGPSIG%', '%ARCH%',
      '%REPLACES%', '%CONFLICTS%', '%DEPENDS%', '%MAKEDEPENDS%', '%CHECKDEPENDS%']);
    expect(desc).toContain('%DEPENDS%\na\nb>=1\n\n');
    expect(desc.endsWith('%CHECKDEPENDS%\nk\n\n')).toBe(true);
  });

  it('refuses a file name that could be a path, and a value with a newline', () => {
    const info = parsePkginfo(fixture('hello-pkg.PKGINFO'));
    expect(() => descEntry(info, { ...FILE, filename: '../x.pkg.tar.zst' })).toThrow('not allowed');
    expect(() => descEntry({ ...info, pkgdesc: 'a\n%NAME%' }, FILE)).toThrow('control character');
  });

  it('names the entry <pkgname>-<pkgver>', () => {
    expect(entryDirName({ pkgname: 'kiln-hello', pkgver: '1:1.2.3-1' })).toBe('kiln-hello-1:1.2.3-1');
  });
});

describe('filesEntry', () => {
  it('is the files repo-add wrote: metadata left out, hidden files below the top kept, C order', () => {
    const paths = ['.PKGINFO', '.BUILDINFO', '.MTREE', 'usr/', 'usr/bin/', 'usr/bin/hello', 'etc/', 'etc/hello.conf', 'etc/skel/', 'etc/skel/.hellorc'];
    expect(filesEntry(paths)).toBe(fixture('hello-pkg.files'));
  });

  it('sorts by bytes and drops repeats', () => {
    expect(filesEntry(['b', 'B', 'a/', 'a', 'é', 'z', 'a'])).toBe('%FILES%\nB\na\na/\nb\nz\né\n');
  });

  it('refuses a path with a newline', () => {
    expect(() => filesEntry(['usr/a\nb'])).toThrow('not allowed');
  });
});
