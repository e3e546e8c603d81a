import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestPush } from '../../api/intake/request-push';
import { docker } from '../../activities/docker/engine';
import type { KilnConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import type { PushStatus } from '../../domain/push';
import { cancelSignal, pushStatusQuery, retrySignal } from '../../workflows/messages';
import type { pushWorkflow } from '../../workflows/push';
import { testConfig } from '../helpers/config';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PortsRepo } from '../helpers/ports-repo';
import { pushStatusUntil } from '../helpers/push-status';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

// The push workflow on the real Temporal server and the real Docker engine, with small fixture packages:
// dependency order through the WIP repository, the whole-push gate, retry, cancel, supersede, key reuse.
describe('push workflow', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let layout: DataLayout;
  let kiln: RunningKiln;

  beforeAll(async () => {
    t = await connectToTestServer();
    repo = new PortsRepo({ fromExamples: false });
    writeFixturePackage(repo.dir, { name: 'kiln-t-lib', version: '1.0', architecture: 'any' });
    writeFixturePackage(repo.dir, { name: 'kiln-t-app', version: '1.0', architecture: 'any', buildDepends: ['kiln-t-lib'],
      buildScript: 'test -f /usr/share/kiln-t-lib/kiln-t-lib.txt' });
    writeFixturePackage(repo.dir, { name: 'kiln-t-data', version: '1.0', architecture: 'all' });
    // Needs the arch-all package, built once on amd64, on i386 as well.
    writeFixturePackage(repo.dir, { name: 'kiln-t-viewer', version: '1.0', architecture: 'any', buildDepends: ['kiln-t-data'],
      buildScript: 'test -f /usr/share/kiln-t-data/kiln-t-data.txt' });
    repo.commit('four packages');
    config = testConfig([{ name: `t${Date.now()}`, url: repo.dir, installTest: true }]);
    layout = new DataLayout(config.dataDir);
    kiln = await runKiln(t, config);
  });

  afterAll(async () => {
    await kiln?.stop();
    await t?.close();
    repo?.cleanup();
  });

  const tree = () => config.trees[0].name;
  const handle = (workflowId: string) => t.client.workflow.getHandle<typeof pushWorkflow>(workflowId);

  async function push(commit: string) {
    const { workflowId } = await requestPush(t.client, { tree: tree(), branch: 'main', commit }, 'test');
    return workflowId;
  }

  const statusUntil = (workflowId: string, until: (s: PushStatus) => boolean, timeoutMs?: number) =>
    pushStatusUntil(t.client, workflowId, until, timeoutMs);

  /** Build records = keys built by a container; a reused build adds none. */
  const builtKeys = () => fs.readdirSync(path.join(config.dataDir, 'builds')).filter((f) => f.endsWith('.json')).length;

  /** The push's result; on timeout, fail showing where it stands (its status query and its arches' histories). */
  async function resultOf(workflowId: string, timeoutMs = 150_000) {
    await statusUntil(workflowId, () => true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(async () => {
        const status = await handle(workflowId).query(pushStatusQuery).catch((e: unknown) => String(e));
        // The unfinished builds' log tails say where they stand (waiting for a lock, apt, the build itself).
        const tails = typeof status === 'string' ? [] : status.builds.filter((b) => b.state !== 'succeeded' && b.log).map((b) => {
          const text = fs.existsSync(path.join(config.dataDir, b.log!)) ? fs.readFileSync(path.join(config.dataDir, b.log!), 'utf8') : '(no log)';
          return `--- ${b.id} log tail ---\n${text.slice(-3000)}`;
        });
        reject(new Error(`push ${workflowId} did not finish; status: ${JSON.stringify(status)}\n${tails.join('\n')}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([handle(workflowId).result(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('builds every package on every arch in dependency order, the chain from the WIP repository', async () => {
    const commit = repo.git('rev-parse', 'HEAD');
    const workflowId = await push(commit);
    const result = await resultOf(workflowId);
    expect(result.outcome).toBe('succeeded');
    const byId = new Map(result.status.builds.map((b) => [b.id, b]));
    expect([...byId.keys()].sort()).toEqual([
      'kiln-t-app/amd64', 'kiln-t-app/i386', 'kiln-t-data/amd64', 'kiln-t-lib/amd64', 'kiln-t-lib/i386',
      'kiln-t-viewer/amd64', 'kiln-t-viewer/i386',
    ]);
    for (const b of byId.values()) expect(b.state).toBe('succeeded');
    for (const arch of ['amd64', 'i386']) {
      expect(byId.get(`kiln-t-app/${arch}`)!.startedAt!).toBeGreaterThanOrEqual(byId.get(`kiln-t-lib/${arch}`)!.finishedAt!);
      expect(byId.get(`kiln-t-viewer/${arch}`)!.startedAt!).toBeGreaterThanOrEqual(byId.get('kiln-t-data/amd64')!.finishedAt!);
    }
    const appLog = fs.readFileSync(path.join(config.dataDir, byId.get('kiln-t-app/i386')!.log), 'utf8');
    expect(appLog).toMatch(/Unpacking kiln-t-lib(:i386)? \(1\.0\)/);
    const record = JSON.parse(fs.readFileSync(layout.pushRecord({ tree: tree(), branch: 'main', commit }), 'utf8'));
    expect(record.state).toBe('succeeded');
    expect(record.builds).toHaveLength(7);
    expect(builtKeys()).toBe(7);
    // Before publishing, every build's package was installed in a fresh container (with its runtime dependencies:
    // kiln-t-app's log shows apt pulling in nothing it lacks), and passed.
    expect(result.status.installTests?.map((t) => `${t.id} ${t.state}`).sort()).toEqual([...byId.keys()].sort().map((id) => `${id} passed`));
    expect(result.status.installTests!.find((t) => t.id === 'kiln-t-viewer/i386')!.summary!.installed).toEqual(['kiln-t-viewer']);
    expect(appLog).toMatch(/===== kiln: install test: kiln-t-app=1\.0 in a fresh container =====/);
    expect(appLog).toMatch(/===== kiln: install test passed: installed kiln-t-app/);

    // The same commit again (a redelivered webhook): the same workflow, nothing new.
    expect(await push(commit)).toBe(workflowId);
    // A new commit that changes no package: every build is reused, no container runs.
    repo.write('README.md', 'docs only\n');
    const docsOnly = await push(repo.commit('docs only'));
    const second = await resultOf(docsOnly);
    expect(second.outcome).toBe('succeeded');
    expect(second.status.builds.every((b) => b.cached)).toBe(true);
    expect(builtKeys()).toBe(7);
    // The same build keys passed their install test already: not run again.
    expect(second.status.installTests!.every((t) => t.state === 'passed' && t.summary?.passedBefore !== undefined)).toBe(true);
  }, 400_000);

  it('a failing package fails the push with every failure listed; retry re-runs it; a fixing push supersedes it', async () => {
    writeFixturePackage(repo.dir, { name: 'kiln-t-broken', version: '1.0', architecture: 'any', buildScript: 'echo broken on purpose; exit 7' });
    const broken = await push(repo.commit('a broken package'));
    const failed = await statusUntil(broken, (s) => s.state === 'failed');
    expect(failed.builds.filter((b) => b.state === 'failed').map((b) => b.id).sort()).toEqual(['kiln-t-broken/amd64', 'kiln-t-broken/i386']);
    expect(failed.builds.find((b) => b.id === 'kiln-t-broken/amd64')!.error).toMatchObject({ type: 'BuildFailed' });
    expect(failed.builds.filter((b) => b.id.startsWith('kiln-t-lib')).every((b) => b.state === 'succeeded' && b.cached)).toBe(true);

    await handle(broken).signal(retrySignal, { source: 'kiln-t-broken', arch: 'i386' });
    const retried = await statusUntil(broken, (s) => s.builds.find((b) => b.id === 'kiln-t-broken/i386')!.attempt === 2 && s.state === 'failed');
    expect(retried.builds.find((b) => b.id === 'kiln-t-broken/amd64')!.attempt).toBe(1);

    writeFixturePackage(repo.dir, { name: 'kiln-t-broken', version: '1.1', architecture: 'any' });
    const fixed = await push(repo.commit('fix the broken package'));
    const supersededResult = await handle(broken).result();
    expect(supersededResult.outcome).toBe('superseded');
    expect(supersededResult.status.supersededBy).toBe(fixed);
    const fixedResult = await resultOf(fixed);
    expect(fixedResult.outcome).toBe('succeeded');
    const rebuilt = fixedResult.status.builds.filter((b) => !b.cached).map((b) => b.id).sort();
    expect(rebuilt).toEqual(['kiln-t-broken/amd64', 'kiln-t-broken/i386']);
  });

  it('cancel stops the push and removes its containers', async () => {
    writeFixturePackage(repo.dir, { name: 'kiln-t-slow', version: '1.0', architecture: 'all', buildScript: 'sleep 600' });
    const slow = await push(repo.commit('a slow package'));
    await statusUntil(slow, (s) => s.builds.some((b) => b.id === 'kiln-t-slow/amd64' && b.state === 'building'));
    await handle(slow).signal(cancelSignal, { reason: 'test' });
    const result = await handle(slow).result();
    expect(result.outcome).toBe('cancelled');
    expect(result.status.builds.find((b) => b.id === 'kiln-t-slow/amd64')!.state).toBe('cancelled');
    // This process's build workers only: other Kiln processes may share the engine.
    const left = await docker().listContainers({ all: true, filters: { label: [`org.kiln.worker-pid=${process.pid}`] } });
    expect(left).toEqual([]);
  });

  it('a package that does not install, or whose test fails, fails the push at the install test; nothing is published; retry runs it again', async () => {
    const current = () => { try { return fs.readlinkSync(path.join(layout.repo(tree(), 'main'), 'current')); } catch { return undefined; } };
    const before = current();
    repo.remove('kiln-t-slow');
    writeFixturePackage(repo.dir, { name: 'kiln-t-uninstallable', version: '1.0', architecture: 'all', depends: ['kiln-t-no-such-package'] });
    writeFixturePackage(repo.dir, {
      name: 'kiln-t-tested', version: '1.0', architecture: 'all',
      extraFiles: {
        'debian/tests/control': 'Tests: works\n\nTests: fails\n\nTests: online\nRestrictions: needs-internet\n',
        'debian/tests/works': '#!/bin/sh\nset -e\ntest -f /usr/share/kiln-t-tested/kiln-t-tested.txt\n! getent hosts deb.debian.org\n',
        'debian/tests/fails': '#!/bin/sh\necho "failing on purpose" >&2\nexit 3\n',
      },
    });
    const pushed = await push(repo.commit('an uninstallable package and a failing test'));
    const failed = await statusUntil(pushed, (s) => s.state === 'failed', 240_000);
    const tests = new Map((failed.installTests ?? []).map((x) => [x.id, x]));
    expect(failed.builds.every((b) => b.state === 'succeeded')).toBe(true);
    expect(tests.get('kiln-t-uninstallable/amd64')).toMatchObject({ state: 'failed', error: { type: 'InstallTestFailed' } });
    expect(tests.get('kiln-t-uninstallable/amd64')!.summary!.failed).toEqual(['kiln-t-uninstallable (does not install)']);
    const tested = tests.get('kiln-t-tested/amd64')!;
    expect(tested.state).toBe('failed');
    expect(tested.summary).toMatchObject({ installed: ['kiln-t-tested'], passed: ['works'], failed: ['fails'] });
    expect(tested.summary!.skipped).toEqual([{ name: 'online', reason: 'needs-internet: install tests run offline' }]);
    // Only what the push built is tested: the unchanged packages were tested when they were built.
    expect([...tests.keys()].sort()).toEqual(['kiln-t-tested/amd64', 'kiln-t-uninstallable/amd64']);
    const log = fs.readFileSync(path.join(config.dataDir, failed.builds.find((b) => b.id === 'kiln-t-tested/amd64')!.log), 'utf8');
    expect(log).toMatch(/failing on purpose/);
    expect(log).toMatch(/FAILED: exit 3/);
    const uninstallable = fs.readFileSync(path.join(config.dataDir, failed.builds.find((b) => b.id === 'kiln-t-uninstallable/amd64')!.log), 'utf8');
    expect(uninstallable).toMatch(/kiln-t-no-such-package/);
    // Tried twice, each in a fresh container, before it failed the push.
    expect(uninstallable).toMatch(/did not install \(exit \d+\); trying once more in a fresh container/);
    expect(uninstallable).toContain('in a fresh container (second try)');
    // Not published: the branch still serves what it served.
    expect(failed.publish).toBeUndefined();
    expect(current()).toBe(before);

    await handle(pushed).signal(retrySignal, { source: 'kiln-t-tested' });
    const retried = await statusUntil(pushed, (s) => {
      const test = s.installTests?.find((x) => x.id === 'kiln-t-tested/amd64');
      return test?.attempt === 2 && test.state === 'failed' && s.state === 'failed';
    }, 120_000);
    expect(retried.installTests!.find((x) => x.id === 'kiln-t-tested/amd64')!.state).toBe('failed');
    expect(retried.installTests!.find((x) => x.id === 'kiln-t-uninstallable/amd64')!.attempt).toBe(1);

    await handle(pushed).signal(cancelSignal, { reason: 'test' });
    expect((await handle(pushed).result()).outcome).toBe('cancelled');
    expect(current()).toBe(before);
  }, 400_000);
});
