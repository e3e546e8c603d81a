import * as fs from 'node:fs';
import { KilnError } from '../../domain/errors';

// The signer's secret files (keys, password files, the gpg home dir) must be the signer's own: not a symlink, the
// right kind of file, owned by the signer's user and closed to group and others. Anything else means someone else
// could read or swap a key, and the signer refuses to start (SIGNER_KEY_PERMISSIONS).

function problem(file: string, why: string, fix: string): KilnError {
  return new KilnError('SIGNER_KEY_PERMISSIONS', `${file} ${why}: the signer refuses to use it (${fix})`);
}

function checkStat(file: string, stat: fs.Stats, kind: 'file' | 'dir'): void {
  if (stat.isSymbolicLink()) throw problem(file, 'is a symlink', 'put the file itself there');
  if (kind === 'file' && !stat.isFile()) throw problem(file, 'is not a regular file', 'put the file itself there');
  if (kind === 'dir' && !stat.isDirectory()) throw problem(file, 'is not a directory', 'it is the gpg home dir');
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) throw problem(file, `is owned by uid ${stat.uid}, not the signer's uid ${uid}`, `chown ${uid}`);
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    const want = kind === 'file' ? '600' : '700';
    throw problem(file, `has mode ${mode.toString(8).padStart(4, '0')}, open to group or others`, `chmod ${want}`);
  }
}

/** Whether `file` exists, without following a symlink (a dangling symlink exists too, and is then refused). */
export function secretExists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Read a secret file, refusing a symlink (O_NOFOLLOW), a non-regular file, another owner or group/other bits. */
export function readSecretFile(file: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw problem(file, 'is a symlink', 'put the file itself there');
    if (code === 'ENOENT') throw new KilnError('SIGNER_KEYS_MISSING', `${file} does not exist: run \`kiln keys generate\` on the signer's host`);
    throw err;
  }
  try {
    // The open file itself, not the path again: nothing can be swapped in between.
    checkStat(file, fs.fstatSync(fd), 'file');
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Check a secret file that another program (gpg) opens by path. */
export function checkSecretFile(file: string): void {
  checkStat(file, lstatOrMissing(file), 'file');
}

/** Check a private directory (gpg's home dir): the signer's own, 0700 or stricter, not a symlink. */
export function checkPrivateDir(dir: string): void {
  checkStat(dir, lstatOrMissing(dir), 'dir');
}

function lstatOrMissing(file: string): fs.Stats {
  try {
    return fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new KilnError('SIGNER_KEYS_MISSING', `${file} does not exist: run \`kiln keys generate\` on the signer's host`);
    throw err;
  }
}
