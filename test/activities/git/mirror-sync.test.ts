import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TreeMirror } from '../../../activities/git/mirror';
import { PortsRepo } from '../../helpers/ports-repo';

// Pushes of several branches of one tree plan at once, each syncing the tree's mirror first. Found by the concurrent
// pushes benchmark: first clones racing in one temporary folder left a mirror without the pushed commit.
describe('a tree mirror synced by several plans at once', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => { for (const c of cleanup.splice(0)) c(); });

  it('has every branch head after concurrent first syncs, and after concurrent fetches', async () => {
    const repo = new PortsRepo({ fromExamples: false });
    cleanup.push(() => repo.cleanup());
    const heads: string[] = [];
    for (let i = 0; i < 6; i++) {
      repo.git('checkout', '--quiet', '-B', `b${i}`);
      repo.write(`p${i}/file`, `${i}\n`);
      heads.push(repo.commit(`branch ${i}`));
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-mirror-sync-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const mirrorDir = path.join(dir, 'git', 'tree.git');

    const mirrors = heads.map(() => new TreeMirror(repo.dir, mirrorDir));
    await Promise.all(mirrors.map((m) => m.sync()));
    for (const head of heads) expect(await mirrors[0].hasCommit(head)).toBe(true);

    const more: string[] = [];
    for (let i = 0; i < 6; i++) {
      repo.git('checkout', '--quiet', `b${i}`);
      repo.write(`p${i}/file`, `${i} again\n`);
      more.push(repo.commit(`branch ${i} again`));
    }
    await Promise.all(mirrors.map((m) => m.sync()));
    for (const [i, head] of more.entries()) expect(await mirrors[i].branchHead(`b${i}`)).toBe(head);
    expect(fs.readdirSync(path.dirname(mirrorDir))).toEqual(['tree.git']);
  });
});
