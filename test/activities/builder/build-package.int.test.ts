import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../../../activities/docker/engine';
import type { BuildRequest } from '../../../activities/builder/build-request';
import { localBuilder, type LocalBuilder } from '../../helpers/local-builder';
import { DataLayout } from '../../../domain/data-layout';
import { writeFixturePackage, type FixturePackage } from '../../helpers/deb-fixtures';

// The build activity's body against the real Docker engine and builder images.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-build-'));
const layout = new DataLayout(root);
// Builds go through the blob exchange, as on a worker of another machine: Kiln's API on loopback, a worker cache.
let builder: LocalBuilder;
const push = { tree: 'fixtures', branch: 'main', commit: 'a'.repeat(40) };
const limits = { timeoutMinutes: 5, memoryMb: 1024, cpus: 1, pids: 512 };

function request(pkg: FixturePackage, arch = 'amd64', treeHash = `${pkg.name}-${pkg.version}-${pkg.buildScript ?? ''}`): BuildRequest {
  const dir = layout.recipe('fixtures', treeHash.replace(/[^a-z0-9.-]/gi, '_'));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const written = writeFixturePackage(fs.mkdtempSync(path.join(root, 'src-')), pkg);
  fs.renameSync(written, dir);
  return {
    push, limits, tree: 'fixtures', suite: 'bookworm', source: pkg.name, version: pkg.version, arch,
    scope: pkg.architecture === 'all' ? 'all' : 'any', treeHash: path.basename(dir),
  };
}

async function kilnContainers(): Promise<number> {
  const list = await docker().listContainers({ all: true, filters: { label: ['org.kiln.build-key', `org.kiln.worker-pid=${process.pid}`] } });
  return list.length;
}

describe('buildPackage', () => {
  beforeAll(async () => { builder = await localBuilder(root, { fixtures: { branches: ['main'], architectures: ['amd64', 'i386'] } }); });
  afterAll(async () => { await builder?.close(); });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('builds in a container, stores artifacts once, records the key, and never builds it again', async () => {
    const req = request({ name: 'kiln-fixture-a', version: '1.0', architecture: 'any' }, 'i386');
    const first = await builder.build(req);
    expect(first.cached).toBe(false);
    expect(first.artifacts).toHaveLength(1);
    expect(first.artifacts[0]).toMatchObject({ file: 'kiln-fixture-a_1.0_i386.deb', package: 'kiln-fixture-a', architecture: 'i386', version: '1.0' });
    expect(fs.existsSync(path.join(layout.store, first.artifacts[0].sha256))).toBe(true);
    const log = fs.readFileSync(layout.buildLog(push, 'kiln-fixture-a', 'i386'), 'utf8');
    expect(log).toContain('dpkg-buildpackage -B (as builder)');
    expect(log).toContain('exit 0');

    const again = await builder.build(req);
    expect(again).toMatchObject({ key: first.key, cached: true, artifacts: first.artifacts });
    expect(await kilnContainers()).toBe(0);
  });

  it('a failing package is a non-retryable BuildFailed with its output in the log', async () => {
    const req = request({ name: 'kiln-fixture-broken', version: '1.0', architecture: 'all', buildScript: 'echo the compiler says no; exit 3' });
    const error = await builder.build(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe('BuildFailed');
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect(fs.readFileSync(layout.buildLog(push, 'kiln-fixture-broken', 'amd64'), 'utf8')).toContain('the compiler says no');
    expect(await kilnContainers()).toBe(0);
  });

  it('missing build dependencies are BuildDependenciesMissing', async () => {
    const req = request({ name: 'kiln-fixture-needy', version: '1.0', architecture: 'all', buildDepends: ['kiln-no-such-package'] });
    const error = await builder.build(req).catch((e: unknown) => e);
    expect((error as ApplicationFailure).type).toBe('BuildDependenciesMissing');
  });

  it('abort kills and removes the container', async () => {
    const req = request({ name: 'kiln-fixture-slow', version: '1.0', architecture: 'all', buildScript: 'sleep 300' });
    const controller = new AbortController();
    const building = builder.build(req, { signal: controller.signal });
    const deadline = Date.now() + 60_000;
    const logFile = layout.buildLog(push, 'kiln-fixture-slow', 'amd64');
    const started = () => fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes('dpkg-buildpackage');
    while (!started() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(started()).toBe(true);
    expect(await kilnContainers()).toBe(1);
    controller.abort(new Error('cancelled by test'));
    await expect(building).rejects.toThrow();
    expect(await kilnContainers()).toBe(0);
  });
});
