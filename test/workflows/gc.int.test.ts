import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../activities/gc/collect';
import { runningWork } from '../../activities/gc/gc-activities';
import { requestPush } from '../../api/intake/request-push';
import type { KilnConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import type { GcReport } from '../../domain/gc-report';
import { ORCHESTRATOR_TASK_QUEUE } from '../../domain/task-queues';
import { APT_TEST_KEYRING, aptInstall } from '../helpers/apt-client';
import { testConfig } from '../helpers/config';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PortsRepo } from '../helpers/ports-repo';
import { pushResultOf, pushStatusText } from '../helpers/push-result';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

// Garbage collection never takes what a running push or a kept snapshot needs. The first push publishes a library
// and an app; then everything in the data dir is made 100 days old. The second push changes the app only, so it
// builds against the published library (from the kept snapshot, through its WIP repository's published lane) and
// publishes both: all the while the collector runs back to back with the hardest settings it takes (no grace
// period, logs kept one day). The push publishes, apt installs both packages from it, and what was garbage is gone.
const DAY = 24 * 3600_000;

function makeOld(target: string, when: Date): void {
  const stat = fs.lstatSync(target);
  if (stat.isDirectory()) for (const name of fs.readdirSync(target)) makeOld(path.join(target, name), when);
  fs.lutimesSync(target, when, when);
}

describe('garbage collection while a push builds and publishes', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let layout: DataLayout;
  let kiln: RunningKiln | undefined;
  const tree = () => config.trees[0].name;

  beforeAll(async () => {
    t = await connectToTestServer();
    repo = new PortsRepo({ fromExamples: false });
    writeFixturePackage(repo.dir, { name: 'kiln-g-lib', version: '1.0', architecture: 'any' });
    writeFixturePackage(repo.dir, { name: 'kiln-g-app', version: '1.0', architecture: 'any', buildDepends: ['kiln-g-lib'], depends: ['kiln-g-lib'] });
    repo.commit('a library and an app');
    config = testConfig([{ name: `g${Date.now()}`, url: repo.dir, architectures: ['amd64'] }]);
    layout = new DataLayout(config.dataDir);
    kiln = await runKiln(t, config);
  });

  afterAll(async () => {
    await kiln?.stop();
    await t?.close();
    repo?.cleanup();
  });

  async function push(commit: string): Promise<string> {
    return (await requestPush(t.client, { tree: tree(), branch: 'main', commit }, 'test')).workflowId;
  }

  it('keeps what the push needs, and removes the rest', async () => {
    const first = await pushResultOf(t.client, await push(repo.git('rev-parse', 'HEAD')), 240_000);
    expect(first.status.publish?.outcome).toBe('published');
    const firstWip = layout.wip(first.status.push);
    expect(fs.existsSync(firstWip)).toBe(true);

    // Time passes: everything is 100 days old. Garbage a crash would leave: an upload never recorded, a work dir.
    makeOld(config.dataDir, new Date(Date.now() - 100 * DAY));
    const stray = path.join(layout.store, 'f'.repeat(64));
    fs.writeFileSync(stray, 'never recorded');
    fs.mkdirSync(layout.buildWork('crashed-build'), { recursive: true });
    for (const target of [stray, layout.buildWork('crashed-build')]) makeOld(target, new Date(Date.now() - 100 * DAY));

    writeFixturePackage(repo.dir, {
      name: 'kiln-g-app', version: '1.1', architecture: 'any', buildDepends: ['kiln-g-lib'], depends: ['kiln-g-lib'], buildScript: 'sleep 6',
    });
    const workflowId = await push(repo.commit('app 1.1'));
    let done = false;
    const result = pushResultOf(t.client, workflowId, 240_000).finally(() => { done = true; });
    const reports: GcReport[] = [];
    while (!done) {
      const running = await runningWork(t.client);
      reports.push(await collectGarbage(layout, {
        dryRun: false, logsDays: 1, graceMs: 0, workGraceMs: 0, running: running.pushes, ...(running.oldestStart ? { workStartedAt: running.oldestStart } : {}),
      }));
    }
    const second = await result;
    expect(second.outcome, await pushStatusText(t.client, workflowId)).toBe('succeeded');
    expect(second.status.publish).toMatchObject({ outcome: 'published', snapshot: 2 });
    // It collected throughout, with the push running, and took what was garbage.
    expect(reports.filter((r) => r.runningPushes === 1).length).toBeGreaterThanOrEqual(3);
    expect(fs.existsSync(stray) || fs.existsSync(layout.buildWork('crashed-build')) || fs.existsSync(firstWip)).toBe(false);
    const removed = (c: keyof GcReport['categories']) => reports.reduce((n, r) => n + r.categories[c].count, 0);
    expect(removed('store')).toBeGreaterThanOrEqual(1);
    expect(removed('wip')).toBeGreaterThanOrEqual(1);
    expect(removed('work')).toBeGreaterThanOrEqual(1);

    // The published repository is whole: apt installs the app and the library (built by the first push).
    const repoUrl = `${kiln!.baseUrl}/repos/${tree()}/main`;
    const keyring = Buffer.from(await (await fetch(`${repoUrl}/kiln-archive-keyring.gpg`)).arrayBuffer());
    const apt = await aptInstall({
      arch: 'amd64', keyring, sourcesLine: `deb [signed-by=${APT_TEST_KEYRING}] ${repoUrl} main main`,
      packages: ['kiln-g-app'], extraCommands: ["dpkg-query -W -f '${Package} ${Version}\\n' kiln-g-app kiln-g-lib"],
    });
    expect(apt.exitCode, apt.output).toBe(0);
    expect(apt.output).toMatch(/kiln-g-app 1\.1\nkiln-g-lib 1\.0/);

    // Through Temporal, as the schedule and `kiln gc` run it: a dry run says what would go, and removes nothing.
    fs.writeFileSync(stray, 'never recorded');
    makeOld(stray, new Date(Date.now() - 100 * DAY));
    const gc = (dryRun: boolean) => t.client.workflow.execute('gcWorkflow', {
      taskQueue: ORCHESTRATOR_TASK_QUEUE, workflowId: `gc-test-${dryRun ? 'dry' : 'real'}-${Date.now()}`, args: [{ dryRun }],
    }) as Promise<GcReport>;
    const dry = await gc(true);
    expect(dry).toMatchObject({ dryRun: true, runningPushes: 0, keptSnapshots: 2 });
    expect(dry.categories.store.examples).toContain(path.join('store', 'f'.repeat(64)));
    expect(fs.existsSync(stray)).toBe(true);
    const real = await gc(false);
    expect(real.categories.store.count).toBe(dry.categories.store.count);
    expect(fs.existsSync(stray)).toBe(false);
    // Both snapshots' pool files are still in the store (a rollback to snapshot 1 needs them).
    for (const n of ['000001', '000002']) {
      const manifest = JSON.parse(fs.readFileSync(path.join(layout.repo(tree(), 'main'), 'snapshots', n, 'kiln-manifest.json'), 'utf8')) as { sources: Array<{ artifacts: Array<{ sha256: string }> }> };
      for (const a of manifest.sources.flatMap((s) => s.artifacts)) expect(fs.existsSync(path.join(layout.store, a.sha256))).toBe(true);
    }
  }, 600_000);
});
