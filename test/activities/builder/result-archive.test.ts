import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractResults } from '../../../activities/builder/result-archive';

// The tar reader at the result boundary, against archives GNU tar makes from real links, FIFOs and odd names
// (the engine's archive of a container folder is the same format).
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-archive-'));
let n = 0;

function archive(make: (out: string) => void, format = 'posix'): fs.ReadStream {
  const dir = path.join(root, `src-${++n}`);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out, { recursive: true });
  make(out);
  const file = path.join(root, `a-${n}.tar`);
  execFileSync('tar', [`--format=${format}`, '-C', dir, '-cf', file, 'out']);
  return fs.createReadStream(file);
}

const limits = { maxFiles: 5, maxBytes: 1 << 20 };
const into = () => path.join(root, `into-${++n}`);

describe('extractResults', () => {
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('copies regular files as plain 0644 files, setuid bits gone', async () => {
    const tar = archive((out) => {
      fs.writeFileSync(path.join(out, 'a_1.0_amd64.deb'), 'deb');
      fs.writeFileSync(path.join(out, 'a_1.0_amd64.buildinfo'), 'info', { mode: 0o4755 });
    });
    const target = into();
    const results = await extractResults(tar, 'out', target, limits);
    expect(results.map((r) => [r.name, r.size]).sort()).toEqual([['a_1.0_amd64.buildinfo', 4], ['a_1.0_amd64.deb', 3]]);
    for (const r of results) expect(fs.statSync(r.file).mode & 0o7777).toBe(0o644);
    expect(fs.readFileSync(path.join(target, 'a_1.0_amd64.deb'), 'utf8')).toBe('deb');
  });

  it.each([
    ['a symbolic link', (out: string) => fs.symlinkSync('/etc/hostname', path.join(out, 'x.deb')), 'symbolic link'],
    ['a hard link', (out: string) => { fs.writeFileSync(path.join(out, 'a.deb'), 'x'); fs.linkSync(path.join(out, 'a.deb'), path.join(out, 'b.deb')); }, 'hard link'],
    ['a FIFO', (out: string) => execFileSync('mkfifo', [path.join(out, 'p.deb')]), 'FIFO'],
    ['a folder', (out: string) => fs.mkdirSync(path.join(out, 'sub')), 'folder'],
    ['a hidden file', (out: string) => fs.writeFileSync(path.join(out, '.x.deb'), 'x'), 'not allowed'],
    ['a newline in a name', (out: string) => fs.writeFileSync(path.join(out, 'a\nFilename: b.deb'), 'x'), 'not allowed'],
    ['too many files', (out: string) => { for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(out, `f${i}.deb`), 'x'); }, 'more than 5'],
    ['too many bytes', (out: string) => fs.writeFileSync(path.join(out, 'big.deb'), Buffer.alloc(2 << 20)), 'over 1 MiB'],
  ])('refuses %s', async (_what, make, message) => {
    const target = into();
    await expect(extractResults(archive(make), 'out', target, limits)).rejects.toThrow(message);
  });

  it('refuses a device node (made by root in a GNU archive too)', async () => {
    const target = into();
    const tar = archive((out) => execFileSync('mknod', [path.join(out, 'null.deb'), 'c', '1', '3']), 'gnu');
    await expect(extractResults(tar, 'out', target, limits)).rejects.toThrow('character device');
  });
});
