import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPacmanPackage } from '../../../../activities/formats/pacman/package-reader';
import { writeTar, type TarInput } from '../../../../activities/formats/pacman/tar-writer';
import { ResultRejected } from '../../../../domain/formats/deb/built-package';
import { makePackage } from '../../../helpers/makepkg';

// readPacmanPackage against hostile packages, made with the real zstd, bsdtar and GNU tar (so the reader meets the
// archive dialects pacman packages come in), and against a real makepkg package recompressed as gzip and xz.

const PKGINFO = 'pkgname = p\npkgbase = p\npkgver = 1.0-1\narch = any\nsize = 1\n';
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-pkg-reader-'));
});

function file(name: string, data: Buffer): string {
  const out = path.join(dir, `${crypto.randomUUID()}-${name}`);
  fs.writeFileSync(out, data);
  return out;
}

/** A zstd'd tar of the entries, written by Kiln's own tar writer (which writes whatever path it is given). */
function pack(entries: TarInput[], compressor = 'zstd'): string {
  return file('x.pkg.tar.zst', execFileSync(compressor, ['-c'], { input: writeTar(entries, { mtime: 0 }), maxBuffer: 1 << 30 }));
}

/** A zstd'd tar that `script` prepares in a fresh folder and `tarCommand` (run there) archives. */
function shellPack(script: string, tarCommand: string): string {
  const work = fs.mkdtempSync(path.join(dir, 'src-'));
  const out = path.join(dir, `${crypto.randomUUID()}.pkg.tar.zst`);
  execFileSync('bash', ['-euc', `${script}\n${tarCommand} | zstd -q -c > ${JSON.stringify(out)}`], { cwd: work });
  return out;
}

async function rejection(file: string, limits = {}): Promise<string> {
  const err = await readPacmanPackage(file, limits).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ResultRejected);
  return (err as Error).message;
}

const info = Buffer.from(PKGINFO);
/** A shell command writing PKGINFO to .PKGINFO. */
const writePkginfo = `printf '${PKGINFO.replace(/\n/g, '\\n')}' > .PKGINFO`;

describe('readPacmanPackage accepts', () => {
  it('a makepkg package, and the same tar compressed with gzip or xz (chosen by magic, not name)', async () => {
    const made = makePackage('pkgname=kiln-r\npkgver=1\npkgrel=1\narch=(any)\npackage() { install -Dm644 /dev/null "$pkgdir/usr/share/r/x"; }\n');
    const zst = await readPacmanPackage(made);
    expect(zst.info).toMatchObject({ pkgname: 'kiln-r', pkgver: '1-1' });
    expect(zst.files).toEqual(['usr/', 'usr/share/', 'usr/share/r/', 'usr/share/r/x']);
    const tar = execFileSync('zstd', ['-dc', made]);
    for (const compressor of ['gzip', 'xz']) {
      // Named .zst on purpose: the name proves nothing.
      const other = file('r.pkg.tar.zst', execFileSync(compressor, ['-c'], { input: tar }));
      expect(await readPacmanPackage(other)).toEqual(zst);
    }
  });

  it.each([
    ['GNU long names', 'tar --format=gnu -cf - .PKGINFO usr'],
    ['pax long names', 'bsdtar --format=pax -cf - .PKGINFO usr'],
    ['ustar prefixes', 'bsdtar --format=ustar -cf - .PKGINFO usr'],
  ])('%s', async (_what, tarCommand) => {
    const long = `usr/share/${'d'.repeat(60)}/${'e'.repeat(80)}/${'f'.repeat(90)}`;
    const pkg = shellPack(`${writePkginfo}; mkdir -p ${path.posix.dirname(long)}; : > ${long}; ln -s kiln usr/link`, tarCommand);
    const { files } = await readPacmanPackage(pkg);
    expect(files).toContain(long);
    expect(files).toContain('usr/link');
  });
});

describe('readPacmanPackage refuses', () => {
  it('a .PKGINFO that is a symbolic link', async () => {
    const pkg = shellPack('ln -s /etc/passwd .PKGINFO', 'bsdtar -cf - .PKGINFO');
    expect(await rejection(pkg)).toContain('.PKGINFO is a symlink');
  });

  it('a .PKGINFO with an injected %FIELD% line, or a value that starts one', async () => {
    const injected = Buffer.from(`${PKGINFO}pkgdesc = nice\n%DEPENDS%\nevil\n`);
    expect(await rejection(pack([{ path: '.PKGINFO', data: injected }]))).toContain('not "key = value"');
    const percent = Buffer.from(`${PKGINFO}pkgdesc = %FILENAME%\n`);
    expect(await rejection(pack([{ path: '.PKGINFO', data: percent }]))).toContain('starts with "%"');
  });

  it('a zstd bomb beyond the cap', async () => {
    const bomb = shellPack(`head -c ${64 << 20} /dev/zero > big; ${writePkginfo}`, 'bsdtar -cf - big .PKGINFO');
    expect(fs.statSync(bomb).size).toBeLessThan(64 * 1024);
    expect(await rejection(bomb, { maxBytes: 1 << 20 })).toContain('decompresses to more than 1048576 bytes');
  });

  it('a package that takes too long', async () => {
    const slow = shellPack(`head -c ${512 << 20} /dev/zero > big`, 'bsdtar -cf - big');
    expect(await rejection(slow, { timeoutMs: 1 })).toContain('took over 1 ms');
  });

  it('garbage, compressed garbage and a cut stream', async () => {
    const random = crypto.randomBytes(4096);
    expect(await rejection(file('g.pkg.tar.zst', random))).toContain('not zstd, gzip or xz');
    expect(await rejection(file('g.pkg.tar.zst', execFileSync('zstd', ['-c'], { input: random })))).toContain('not a tar archive');
    const good = fs.readFileSync(pack([{ path: '.PKGINFO', data: info }, { path: 'usr/x', data: crypto.randomBytes(100_000) }]));
    expect(await rejection(file('cut.pkg.tar.zst', good.subarray(0, good.length / 2)))).toMatch(/not valid zstd data|ends inside/);
  });

  it('no .PKGINFO, two of them, or one too large', async () => {
    expect(await rejection(pack([{ path: 'usr/' }]))).toContain('holds no .PKGINFO');
    expect(await rejection(pack([{ path: '.PKGINFO', data: info }, { path: '.PKGINFO', data: info }]))).toContain('two .PKGINFO');
    expect(await rejection(pack([{ path: '.PKGINFO', data: Buffer.alloc(70_000, 0x23) }]))).toContain('over 65536 bytes');
  });

  it.each([
    ['a path out of the package', '../../etc/cron.d/x'],
    ['an absolute path', '/etc/passwd'],
    ['a newline in a path', 'usr/a\n%FILES%'],
    ['a dot part', 'usr/./x'],
  ])('%s', async (_what, bad) => {
    expect(await rejection(pack([{ path: '.PKGINFO', data: info }, { path: bad, data: Buffer.from('x') }]))).toContain('holds an entry named');
  });

  it('a FIFO', async () => {
    const pkg = shellPack(`${writePkginfo}; mkfifo pipe`, 'bsdtar -cf - .PKGINFO pipe');
    expect(await rejection(pkg)).toContain('is a fifo');
  });

  it('more entries than the cap', async () => {
    const entries = [{ path: '.PKGINFO', data: info }, ...Array.from({ length: 10 }, (_, i) => ({ path: `usr/f${i}`, data: Buffer.from('x') }))];
    expect(await rejection(pack(entries), { maxEntries: 5 })).toContain('more than 5 entries');
  });
});
