import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// Real pacman packages for tests, made by the host's makepkg (pacman 6.0.2). makepkg refuses root, so it runs as
// `nobody` in a folder nobody owns; the run's temporary folder (mode 0700) gets o+x so nobody can reach it.

/** A folder under the run's temporary folder that `nobody` may write. */
export function nobodyDir(prefix: string): string {
  const root = os.tmpdir();
  fs.chmodSync(root, fs.statSync(root).mode | 0o001);
  const dir = fs.mkdtempSync(path.join(root, prefix));
  fs.chmodSync(dir, 0o755);
  execFileSync('chown', ['nobody', dir]);
  return dir;
}

/** Builds the PKGBUILD text in a fresh folder; returns the path of the one package file it made. */
export function makePackage(pkgbuild: string, pkgext = '.pkg.tar.zst'): string {
  const dir = nobodyDir('kiln-makepkg-');
  fs.writeFileSync(path.join(dir, 'PKGBUILD'), pkgbuild);
  execFileSync('chown', ['nobody', path.join(dir, 'PKGBUILD')]);
  // --nodeps: the packages a test builds depend on each other, and nothing is installed on the host.
  execFileSync('runuser', ['-u', 'nobody', '--', 'env', `PKGEXT=${pkgext}`, 'makepkg', '--nodeps', '--noconfirm'], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000,
  });
  const made = fs.readdirSync(dir).filter((f) => f.endsWith(pkgext));
  if (made.length !== 1) throw new Error(`makepkg made ${made.length} packages in ${dir}: ${made.join(', ')}`);
  return path.join(dir, made[0]);
}
