import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildRequest } from '../../../activities/builder/build-request';
import { localBuilder, type LocalBuilder } from '../../helpers/local-builder';
import { WipKey } from '../../../activities/wip/wip-key';
import { WipRepo } from '../../../activities/wip/wip-repo';
import { DataLayout } from '../../../domain/data-layout';
import { writeFixturePackage, type FixturePackage } from '../../helpers/deb-fixtures';

// A dependent package builds only from the push's WIP repository: signed with the WIP key, verified by the real apt
// inside the build container.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-wip-'));
const layout = new DataLayout(root);
// Builds go through the blob exchange, as on a worker of another machine: Kiln's API on loopback, a worker cache.
let builder: LocalBuilder;
const push = { tree: 'fixtures', branch: 'feature/wip', commit: 'b'.repeat(40) };
const limits = { timeoutMinutes: 5, memoryMb: 1024, cpus: 1, pids: 512 };

function recipe(pkg: FixturePackage, arch: string): BuildRequest {
  const treeHash = `${pkg.name}-${pkg.version}`;
  const dir = layout.recipe('fixtures', treeHash);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.renameSync(writeFixturePackage(fs.mkdtempSync(path.join(root, 'src-')), pkg), dir);
  }
  return { push, limits, tree: 'fixtures', suite: 'bookworm', source: pkg.name, version: pkg.version, arch, scope: pkg.architecture === 'all' ? 'all' : 'any', treeHash };
}

describe('WIP repository', () => {
  beforeAll(async () => { builder = await localBuilder(root, { fixtures: { branches: ['feature/wip'], architectures: ['amd64', 'i386'] } }); });
  afterAll(async () => { await builder?.close(); });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const wip = new WipRepo(layout, new WipKey(layout.wipKeyDir), push);
  const base: FixturePackage = { name: 'kiln-wip-base', version: '2.0', architecture: 'any' };
  const dependent: FixturePackage = {
    name: 'kiln-wip-dependent', version: '1.0', architecture: 'any',
    buildDepends: ['kiln-wip-base (>= 2.0)'],
    // Proves the dependency is really installed from the WIP repo, not just resolved.
    buildScript: 'test -f /usr/share/kiln-wip-base/kiln-wip-base.txt',
  };

  it('a dependent cannot build before its dependency is in the WIP repo', async () => {
    const error = await builder.build(recipe(dependent, 'i386')).catch((e: unknown) => e);
    expect((error as ApplicationFailure).type).toBe('BuildDependenciesMissing');
  });

  it('builds against the WIP repo once the dependency joined it', async () => {
    const built = await builder.build(recipe(base, 'i386'));
    const { lanes } = await wip.add([built.key]);
    expect(lanes).toEqual(['i386']);
    const lane = layout.wipLane(push, 'i386');
    expect(fs.readFileSync(path.join(lane, 'Packages'), 'utf8')).toMatch(/^Package: kiln-wip-base$/m);
    expect(fs.readFileSync(path.join(lane, 'InRelease'), 'utf8')).toContain('-----BEGIN PGP SIGNATURE-----');

    // Adding again is a no-op, not a duplicate entry.
    await wip.add([built.key]);
    expect(fs.readFileSync(path.join(lane, 'Packages'), 'utf8').match(/^Package: kiln-wip-base$/gm)).toHaveLength(1);

    const next = await builder.build(recipe(dependent, 'i386'));
    expect(next.cached).toBe(false);
    const log = fs.readFileSync(layout.buildLog(push, 'kiln-wip-dependent', 'i386'), 'utf8');
    expect(log).toMatch(/file:\/wip\/i386/);
    expect(log).toMatch(/Unpacking kiln-wip-base(:i386)? \(2\.0\)/);
  });

  it('a tampered WIP index is refused by apt in the container', async () => {
    const lane = layout.wipLane(push, 'i386');
    fs.appendFileSync(path.join(lane, 'Packages'), '\n');
    const other: FixturePackage = { ...dependent, name: 'kiln-wip-dependent2' };
    const error = await builder.build(recipe(other, 'i386')).catch((e: unknown) => e);
    // apt refuses the lane (hash mismatch against the signed Release): the update step fails.
    expect(error).toBeInstanceOf(Error);
    expect(fs.readFileSync(layout.buildLog(push, 'kiln-wip-dependent2', 'i386'), 'utf8')).toMatch(/Hash Sum mismatch|File has unexpected size/);
  });
});
