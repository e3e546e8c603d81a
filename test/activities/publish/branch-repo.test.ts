import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BranchRepo, MANIFEST } from '../../../activities/publish/branch-repo';
import { DataLayout } from '../../../domain/data-layout';
import type { SnapshotSource } from '../../../domain/publish/snapshot-manifest';
import { until } from '../../helpers/until';

// The branch repository's own file work, on a real file system: the pool links many store files at once, a
// missing one is a clear error, and pruning hides old snapshots at once and deletes them after.
describe('a branch repository on disk', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  function fresh() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-branch-repo-'));
    dirs.push(dir);
    const layout = new DataLayout(dir);
    fs.mkdirSync(layout.store, { recursive: true });
    return { layout, repo: new BranchRepo(layout, 'ports', 'main') };
  }

  function stored(layout: DataLayout, name: string): SnapshotSource {
    const sha256 = name.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a').slice(0, 64);
    fs.writeFileSync(path.join(layout.store, sha256), `${name}\n`);
    const file = `${name}_1.0_amd64.deb`;
    return {
      source: name, version: '1.0', treeHash: 'tree', arches: ['amd64'],
      artifacts: [{ file, pool: `pool/main/${name[0]}/${name}/${file}`, sha256, size: name.length + 1, package: name, version: '1.0', architecture: 'amd64', builtOn: 'amd64', key: 'k', stanza: `Package: ${name}\nVersion: 1.0\nArchitecture: amd64` }],
    };
  }

  const assemble = (repo: BranchRepo, number: number, sources: SnapshotSource[]) => repo.assemble({
    number, suite: 'main', arches: ['amd64'], commit: 'c'.repeat(40), publishedFor: 'test', sources: async () => sources,
  });

  it('links every artifact of a large snapshot into its pool, nothing copied', async () => {
    const { layout, repo } = fresh();
    const sources = Array.from({ length: 3000 }, (_, i) => stored(layout, `p${i}`));
    const { release } = await assemble(repo, 1, sources);
    expect(release).toContain('binary-amd64/Packages');
    const staging = path.join(repo.snapshotsDir, '.000001.staging');
    for (const s of [sources[0], sources[1500], sources[2999]]) {
      const a = s.artifacts[0];
      expect(fs.statSync(path.join(staging, a.pool)).ino).toBe(fs.statSync(path.join(layout.store, a.sha256)).ino);
    }
    expect(fs.readFileSync(path.join(staging, 'dists', 'main', 'main', 'binary-amd64', 'Packages'), 'utf8').match(/^Package: /gm)).toHaveLength(3000);
  });

  it('says which artifact is missing from the store', async () => {
    const { layout, repo } = fresh();
    const ok = stored(layout, 'alpha');
    const gone = stored(layout, 'beta');
    fs.rmSync(path.join(layout.store, gone.artifacts[0].sha256));
    await expect(assemble(repo, 1, [ok, gone])).rejects.toMatchObject({ code: 'SNAPSHOT_ARTIFACT_MISSING', message: expect.stringContaining('beta_1.0_amd64.deb') });
  });

  it('prunes to the newest snapshots at once, deleting them and earlier leftovers after', async () => {
    const { repo } = fresh();
    for (const n of [1, 2, 3, 4]) {
      const dir = repo.snapshotDir(n);
      fs.mkdirSync(path.join(dir, 'pool', 'main'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'pool', 'main', 'file'), 'x');
      fs.writeFileSync(path.join(dir, MANIFEST), '{}');
    }
    // A crash between renaming aside and deleting left this one; an interrupted publish left the staging dir.
    fs.mkdirSync(path.join(repo.snapshotsDir, '.000000.removed', 'pool'), { recursive: true });
    fs.mkdirSync(path.join(repo.snapshotsDir, '.000002.staging'), { recursive: true });
    await repo.switchTo(4);

    expect(await repo.prune(2)).toEqual([1, 2]);
    expect(repo.snapshots()).toEqual([3, 4]);
    expect(repo.highestNumber()).toBe(4);
    await until('the pruned folders deleted', () => fs.readdirSync(repo.snapshotsDir).sort().join(' ') === '000003 000004', 10_000, 50);
  });
});
