import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { repoDatabase } from '../../../../activities/formats/pacman/repo-db';
import { readTar } from '../../../../activities/formats/pacman/tar-stream';

async function contents(db: Buffer): Promise<Array<[string, string | undefined]>> {
  const out: Array<[string, string | undefined]> = [];
  await readTar(Readable.from([zlib.gunzipSync(db)]), (e) => { out.push([e.path, undefined]); return e.type === 'file' ? 1 << 20 : undefined; }, (_e, body) => {
    out[out.length - 1][1] = body.toString();
  });
  return out;
}

describe('repoDatabase', () => {
  const entries = [
    { dirName: 'zeta-1.0-1', desc: '%NAME%\nzeta\n\n', files: '%FILES%\nusr/\n' },
    { dirName: 'alpha-2:1.0-1', desc: '%NAME%\nalpha\n\n', files: '%FILES%\n' },
  ];

  it('lays out one folder per package with desc, sorted', async () => {
    expect(await contents(await repoDatabase(entries, 'db'))).toEqual([
      ['alpha-2:1.0-1/', undefined], ['alpha-2:1.0-1/desc', '%NAME%\nalpha\n\n'], ['zeta-1.0-1/', undefined], ['zeta-1.0-1/desc', '%NAME%\nzeta\n\n'],
    ]);
  });

  it('adds files for the files database', async () => {
    expect((await contents(await repoDatabase(entries, 'files'))).map(([p]) => p)).toEqual(
      ['alpha-2:1.0-1/', 'alpha-2:1.0-1/desc', 'alpha-2:1.0-1/files', 'zeta-1.0-1/', 'zeta-1.0-1/desc', 'zeta-1.0-1/files']);
  });

  it('is the same bytes whatever the input order', async () => {
    const a = await repoDatabase(entries, 'files');
    const b = await repoDatabase([...entries].reverse(), 'files');
    expect(a.equals(b)).toBe(true);
  });

  it.each([
    ['a name with a slash', [{ dirName: '../x', desc: '' }], 'not a folder name'],
    ['a name twice', [entries[0], entries[0]], 'twice'],
  ])('refuses %s', async (_what, bad, message) => {
    await expect(repoDatabase(bad, 'db')).rejects.toThrow(message);
  });

  it('refuses a files database entry without files', async () => {
    await expect(repoDatabase([{ dirName: 'a-1-1', desc: '' }], 'files')).rejects.toThrow('no files list');
  });
});
