import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPacmanPackage, type PacmanPackageContents } from '../../../../activities/formats/pacman/package-reader';
import { repoDatabase } from '../../../../activities/formats/pacman/repo-db';
import { descEntry, entryDirName, filesEntry } from '../../../../domain/formats/pacman/repo-entry';
import { makePackage, nobodyDir } from '../../../helpers/makepkg';

// End to end against the real tools of pacman 6.0.2: makepkg makes two packages (one depending on the other), Kiln
// reads them and writes the repository databases, and the real pacman installs from them; the real repo-add, given
// the same packages, writes the same desc and files entries.

const LIB = `pkgname=kiln-lib
pkgver=1.0
pkgrel=1
pkgdesc="Kiln test library"
arch=(any)
license=(MIT)
package() { install -Dm644 /dev/stdin "$pkgdir/usr/share/kiln-lib/lib.txt" <<<"kiln-lib"; }
`;
const APP = `pkgname=kiln-app
pkgver=2.0.rc1
pkgrel=3
epoch=1
pkgdesc="Kiln test   application"
arch=(any)
url="https://kiln.invalid/app"
license=(MIT 'Apache-2.0')
groups=(kiln-tools)
depends=('kiln-lib>=1.0')
makedepends=(make)
checkdepends=(diffutils)
optdepends=('kiln-doc: the manual')
provides=('kiln-application=2.0')
conflicts=(kiln-app-git)
replaces=(kiln-old)
backup=(etc/kiln-app.conf)
package() {
  install -Dm755 /dev/stdin "$pkgdir/usr/bin/kiln-app" <<<"#!/bin/sh"
  install -Dm644 /dev/null "$pkgdir/etc/kiln-app.conf"
  install -Dm644 /dev/null "$pkgdir/etc/skel/.kiln-apprc"
  ln -s kiln-app "$pkgdir/usr/bin/kiln-app-link"
}
`;

interface Built { file: string; contents: PacmanPackageContents }
let repo: string;
let built: Built[];

function digest(file: string, algorithm: string): string {
  return crypto.createHash(algorithm).update(fs.readFileSync(file)).digest('hex');
}

/** Every file of an extracted database, by path inside it. */
function extract(db: string): Map<string, string> {
  const dir = fs.mkdtempSync(`${db}.x-`);
  execFileSync('bsdtar', ['-xf', db, '-C', dir]);
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(dir)) {
    for (const name of fs.readdirSync(path.join(dir, entry))) out.set(`${entry}/${name}`, fs.readFileSync(path.join(dir, entry, name), 'utf8'));
  }
  return out;
}

beforeAll(async () => {
  repo = nobodyDir('kiln-pacman-repo-');
  built = [];
  for (const pkgbuild of [LIB, APP]) {
    const made = makePackage(pkgbuild);
    const file = path.join(repo, path.basename(made));
    fs.copyFileSync(made, file);
    built.push({ file, contents: await readPacmanPackage(file) });
  }
  const entries = built.map(({ file, contents }) => ({
    dirName: entryDirName(contents.info),
    desc: descEntry(contents.info, { filename: path.basename(file), csize: fs.statSync(file).size, sha256: digest(file, 'sha256'), md5: digest(file, 'md5') }),
    files: filesEntry(contents.files),
  }));
  for (const kind of ['db', 'files'] as const) {
    const db = await repoDatabase(entries, kind);
    fs.writeFileSync(path.join(repo, `test.${kind}.tar.gz`), db);
    fs.writeFileSync(path.join(repo, `test.${kind}`), db);
  }
});

describe('readPacmanPackage on makepkg packages', () => {
  it('takes the .PKGINFO and the file list', () => {
    const app = built[1].contents;
    expect(app.info).toMatchObject({ pkgname: 'kiln-app', pkgver: '1:2.0.rc1-3', arch: 'any', depends: ['kiln-lib>=1.0'], makedepends: ['make'] });
    expect([...app.files].sort()).toEqual(['etc/', 'etc/kiln-app.conf', 'etc/skel/', 'etc/skel/.kiln-apprc', 'usr/', 'usr/bin/', 'usr/bin/kiln-app', 'usr/bin/kiln-app-link']);
  });
});

describe('the real pacman', () => {
  it('installs a package and its dependency from the database Kiln wrote', () => {
    const work = fs.mkdtempSync(path.join(path.dirname(repo), 'kiln-pacman-client-'));
    const root = path.join(work, 'root');
    fs.mkdirSync(path.join(root, 'var/lib/pacman'), { recursive: true });
    for (const d of ['cache', 'gnupg', 'hooks']) fs.mkdirSync(path.join(work, d));
    const conf = path.join(work, 'pacman.conf');
    fs.writeFileSync(conf, `[options]\nArchitecture = auto\nSigLevel = Never\n\n[test]\nSigLevel = Never\nServer = file://${repo}\n`);
    const pacman = (...args: string[]) => execFileSync('pacman', [
      '--root', root, '--dbpath', path.join(root, 'var/lib/pacman'), '--config', conf, '--cachedir', path.join(work, 'cache'),
      '--logfile', path.join(work, 'pacman.log'), '--gpgdir', path.join(work, 'gnupg'), '--hookdir', path.join(work, 'hooks'),
      '--noconfirm', '--disable-download-timeout', ...args,
    ], { encoding: 'utf8', stdio: 'pipe' });
    pacman('-Sy', 'kiln-app');
    expect(fs.readFileSync(path.join(root, 'usr/bin/kiln-app'), 'utf8')).toBe('#!/bin/sh\n');
    expect(fs.readlinkSync(path.join(root, 'usr/bin/kiln-app-link'))).toBe('kiln-app');
    expect(fs.readFileSync(path.join(root, 'usr/share/kiln-lib/lib.txt'), 'utf8')).toBe('kiln-lib\n');
    expect(pacman('-Q')).toBe('kiln-app 1:2.0.rc1-3\nkiln-lib 1.0-1\n');
    // The files database: pacman -F reads the lists Kiln wrote.
    pacman('-Fy');
    expect(pacman('-Fl', 'kiln-lib')).toBe('kiln-lib usr/\nkiln-lib usr/share/\nkiln-lib usr/share/kiln-lib/\nkiln-lib usr/share/kiln-lib/lib.txt\n');
  });
});

describe('the real repo-add', () => {
  it('writes the same desc and files entries for the same packages', () => {
    const theirs = fs.mkdtempSync(path.join(path.dirname(repo), 'kiln-repo-add-'));
    for (const { file } of built) fs.copyFileSync(file, path.join(theirs, path.basename(file)));
    execFileSync('repo-add', ['-q', path.join(theirs, 'test.db.tar.gz'), ...built.map(({ file }) => path.join(theirs, path.basename(file)))], { stdio: 'pipe' });
    for (const kind of ['db', 'files']) {
      const ours = extract(path.join(repo, `test.${kind}.tar.gz`));
      const real = extract(path.join(theirs, `test.${kind}.tar.gz`));
      expect([...ours.keys()].sort()).toEqual([...real.keys()].sort());
      expect(ours.size).toBe(kind === 'db' ? 2 : 4);
      for (const [name, text] of real) expect(ours.get(name), `${kind}: ${name}`).toBe(text);
    }
  });
});
