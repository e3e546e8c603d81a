import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BranchRepo, MANIFEST, sha256 } from '../../../activities/publish/branch-repo';
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

  /** A package file in the store with this content; the source's one artifact at its Debian pool path. */
  function storedAs(layout: DataLayout, name: string, version: string, content: string): SnapshotSource {
    const digest = sha256(content);
    fs.writeFileSync(path.join(layout.store, digest), content);
    const file = `${name}_${version}_amd64.deb`;
    return {
      source: name, version, treeHash: 'tree', arches: ['amd64'],
      artifacts: [{ file, pool: `pool/main/${name[0]}/${name}/${file}`, sha256: digest, size: content.length, package: name, version, architecture: 'amd64', builtOn: 'amd64', key: 'k', stanza: `Package: ${name}\nVersion: ${version}\nArchitecture: amd64` }],
    };
  }

  /** Assemble, complete (stand-in signatures: this is about files) and switch to snapshot `number`. */
  async function publish(repo: BranchRepo, number: number, sources: SnapshotSource[]): Promise<void> {
    const { release } = await assemble(repo, number, sources);
    await repo.complete(number, 'main', sha256(release), { inRelease: 'signed', releaseGpg: 'signed', minisig: 'signed', publicKeys: { minisignPub: 'key', openpgpKeyringBase64: '' } });
    await repo.switchTo(number);
  }

  const packagesOf = (repo: BranchRepo, n: number) => fs.readFileSync(path.join(repo.snapshotDir(n), 'dists', 'main', 'main', 'binary-amd64', 'Packages'), 'utf8');

  it('keeps one pool for all of a branch\'s snapshots: a publish links only what its base lacks', async () => {
    const { layout, repo } = fresh();
    const first = Array.from({ length: 40 }, (_, i) => storedAs(layout, `p${i}`, '1.0', `p${i} 1.0\n`));
    await publish(repo, 1, first);
    expect(fs.lstatSync(path.join(repo.snapshotDir(1), 'pool')).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(path.join(repo.snapshotDir(1), 'pool'))).toBe(path.join('..', '..', 'pool'));

    const p7v2 = storedAs(layout, 'p7', '2.0', 'p7 2.0\n');
    await publish(repo, 2, [...first.filter((s) => s.source !== 'p7'), p7v2]);
    await publish(repo, 3, [...first.filter((s) => s.source !== 'p7'), p7v2]);
    // One link per package file, whatever the number of snapshots: the store's name and the shared pool's.
    const unchanged = first[0].artifacts[0];
    expect(fs.statSync(path.join(layout.store, unchanged.sha256)).nlink).toBe(2);
    expect(fs.statSync(path.join(repo.dir, unchanged.pool)).ino).toBe(fs.statSync(path.join(layout.store, unchanged.sha256)).ino);
    // Each snapshot still reads its own packages through its link, the older p7 included (a rollback needs it).
    expect(fs.readFileSync(path.join(repo.snapshotDir(1), first[7].artifacts[0].pool), 'utf8')).toBe('p7 1.0\n');
    expect(fs.readFileSync(path.join(repo.snapshotDir(3), p7v2.artifacts[0].pool), 'utf8')).toBe('p7 2.0\n');
    expect(packagesOf(repo, 3)).toContain('Package: p7\nVersion: 2.0');
    expect(packagesOf(repo, 3)).not.toContain('Version: 1.0\nArchitecture: amd64\nFilename: pool/main/p/p7/');

    // Pruning a snapshot removes its link, never the pool's files (garbage collection does, when none lists them).
    await repo.prune(1);
    await until('the pruned snapshots deleted', () => fs.readdirSync(repo.snapshotsDir).join(' ') === '000003', 10_000, 50);
    expect(fs.existsSync(path.join(repo.dir, first[7].artifacts[0].pool))).toBe(true);
    expect(fs.readFileSync(path.join(repo.snapshotDir(3), first[0].artifacts[0].pool), 'utf8')).toBe('p0 1.0\n');
  });

  it('never replaces a pool file: a package rebuilt at the same version goes beside it, under its digest', async () => {
    const { layout, repo } = fresh();
    const a = storedAs(layout, 'hello', '1.0', 'first build\n');
    await publish(repo, 1, [a]);
    const b = storedAs(layout, 'hello', '1.0', 'second build\n');
    await publish(repo, 2, [b]);
    const aside = `pool/main/h/hello/${b.artifacts[0].sha256.slice(0, 16)}/hello_1.0_amd64.deb`;
    expect(packagesOf(repo, 2)).toContain(`Filename: ${aside}\n`);
    expect((await repo.manifest(2)).sources[0].artifacts[0].pool).toBe(aside);
    expect(fs.readFileSync(path.join(repo.snapshotDir(2), aside), 'utf8')).toBe('second build\n');
    // Snapshot 1 still serves what its index names.
    expect(fs.readFileSync(path.join(repo.snapshotDir(1), a.artifacts[0].pool), 'utf8')).toBe('first build\n');
    // The next snapshot carries the path on, and links nothing new.
    await publish(repo, 3, (await repo.manifest(2)).sources);
    expect(packagesOf(repo, 3)).toContain(`Filename: ${aside}\n`);
    expect(fs.statSync(path.join(layout.store, b.artifacts[0].sha256)).nlink).toBe(2);
  });

  it('a retried assemble of the same number links into the shared pool again without error', async () => {
    const { layout, repo } = fresh();
    const sources = [storedAs(layout, 'alpha', '1.0', 'alpha\n'), storedAs(layout, 'beta', '1.0', 'beta\n')];
    await assemble(repo, 1, sources);
    // A crash after linking, before the manifest: the retry starts the staging dir afresh over the same pool.
    const { release } = await assemble(repo, 1, sources);
    expect(release).toContain('Packages');
    expect(fs.readFileSync(path.join(repo.dir, sources[1].artifacts[0].pool), 'utf8')).toBe('beta\n');
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
