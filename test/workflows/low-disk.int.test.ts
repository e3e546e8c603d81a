import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestPush } from '../../api/intake/request-push';
import type { KilnConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import { testConfig } from '../helpers/config';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PortsRepo } from '../helpers/ports-repo';
import { pushResultOf, pushStatusText } from '../helpers/push-result';
import { pushStatusUntil } from '../helpers/push-status';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

// The low-disk guard, on a data dir that really is nearly full: a 96 MiB tmpfs with build.minFreeMb 48, filled to
// leave less. The build waits (its status note and its log say why; nothing of it is built or stored), /healthz
// answers 503 naming the data dir; once the filler is gone the build starts by itself and the push publishes.
describe('a data dir low on disk', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let kiln: RunningKiln | undefined;
  let mounted = false;

  beforeAll(async () => {
    t = await connectToTestServer();
    repo = new PortsRepo({ fromExamples: false });
    writeFixturePackage(repo.dir, { name: 'kiln-d-hello', version: '1.0', architecture: 'any' });
    repo.commit('one package');
    config = testConfig([{ name: `d${Date.now()}`, url: repo.dir, architectures: ['amd64'], minFreeMb: 48 }]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m,mode=0700', 'kiln-low-disk-test', config.dataDir]);
    mounted = true;
    kiln = await runKiln(t, config);
  });

  afterAll(async () => {
    await kiln?.stop();
    await t?.close();
    repo?.cleanup();
    if (mounted) execFileSync('umount', ['--lazy', config.dataDir]);
  });

  it('waits while the data dir is below build.minFreeMb, saying why, and builds and publishes once there is room', async () => {
    // Leave 40 MiB: under the 48 the tree asks for.
    const filler = path.join(config.dataDir, 'filler');
    const stats = fs.statfsSync(config.dataDir);
    const free = stats.bavail * stats.bsize;
    fs.writeFileSync(filler, Buffer.alloc(free - 40 * 1048576));

    const { workflowId } = await requestPush(t.client, { tree: config.trees[0].name, branch: 'main', commit: repo.git('rev-parse', 'HEAD') }, 'test');
    const waiting = await pushStatusUntil(t.client, workflowId, (s) => Boolean(s.builds?.[0]?.note), 120_000);
    const build = waiting.builds[0];
    expect(build.state).toBe('building');
    expect(build.note).toMatch(/^waiting for disk space: the data dir has (3\d|40) MiB free, below build\.minFreeMb \(48 MiB\)$/);
    const logFile = new DataLayout(config.dataDir).buildLog(waiting.push, 'kiln-d-hello', 'amd64');
    const log = () => fs.readFileSync(logFile, 'utf8');
    expect(log()).toMatch(/kiln: waiting for disk space: the data dir has \d+ MiB free, below build\.minFreeMb \(48 MiB\); the build starts once there is room/);
    // Nothing of it started: no build record, nothing in the store, not a failure.
    expect(fs.existsSync(path.join(config.dataDir, 'builds')) ? fs.readdirSync(path.join(config.dataDir, 'builds')) : []).toEqual([]);
    const health = await fetch(`${kiln!.baseUrl}/healthz`);
    expect(health.status).toBe(503);
    const body = await health.json() as { checks: { dataDir: { ok: boolean; error: string; minFreeBytes: number } } };
    expect(body.checks.dataDir).toMatchObject({ ok: false, minFreeBytes: 48 * 1048576 });
    expect(body.checks.dataDir.error).toMatch(/builds wait until there is room/);
    const metrics = await (await fetch(`${kiln!.baseUrl}/metrics`)).text();
    const gauge = /^kiln_data_dir_free_bytes (\d+)$/m.exec(metrics);
    expect(Number(gauge?.[1])).toBeLessThan(48 * 1048576);

    // Room again: the build starts by itself (the workflow looks every 30 s).
    fs.rmSync(filler);
    const result = await pushResultOf(t.client, workflowId, 240_000);
    expect(result.outcome, await pushStatusText(t.client, workflowId)).toBe('succeeded');
    expect(result.status.publish?.outcome).toBe('published');
    expect(result.status.builds[0].note).toBeUndefined();
    expect(log()).toMatch(/kiln: the data dir has room again; the build starts/);
    expect((await fetch(`${kiln!.baseUrl}/healthz`)).status).toBe(200);
  }, 400_000);
});
