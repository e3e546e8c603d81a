import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOutputFiles } from '../../../activities/builder/build-output';

// What a build container leaves in out/ is read on the host: only regular files are.
describe('buildOutputFiles', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });
  const out = () => { const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-out-')); dirs.push(d); return d; };

  it('lists regular files, sorted', async () => {
    const dir = out();
    fs.writeFileSync(path.join(dir, 'b.deb'), 'b');
    fs.writeFileSync(path.join(dir, 'a.buildinfo'), 'a');
    expect(await buildOutputFiles(dir)).toEqual(['a.buildinfo', 'b.deb']);
  });

  it.each([
    ['a symlink to a host file', (dir: string) => fs.symlinkSync('/etc/passwd', path.join(dir, 'x.deb')), /x\.deb is a symlink/],
    ['a folder', (dir: string) => fs.mkdirSync(path.join(dir, 'x.deb')), /x\.deb is a folder/],
  ])('refuses %s, non-retryably', async (_what, make, message) => {
    const dir = out();
    fs.writeFileSync(path.join(dir, 'a.deb'), 'a');
    make(dir);
    await expect(buildOutputFiles(dir)).rejects.toMatchObject({ message: expect.stringMatching(message), nonRetryable: true, type: 'BuildFailed' });
  });
});
