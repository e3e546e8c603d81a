import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestPush } from '../../api/intake/request-push';
import { requestRollback } from '../../api/intake/request-rollback';
import type { KilnConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import type { SnapshotManifest } from '../../domain/publish/snapshot-manifest';
import { APT_REFUSAL, APT_TEST_KEYRING, aptInstall, aptUpdate, type AptArch } from '../helpers/apt-client';
import { testConfig } from '../helpers/config';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PortsRepo } from '../helpers/ports-repo';
import { pushResultOf } from '../helpers/push-result';
import { RepoReader } from '../helpers/repo-reader';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

// Issue 4's "done when", on the real Temporal server, the real Docker engine and real clients: a push is published
// as a signed snapshot that stock apt installs from over HTTP and the reference minisign verifies; tampering makes apt
// refuse; a second push changes only what it changed; a rollback brings the previous content back; a failing target
// is retried and reported while the repository stays published.
describe('publishing a push', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let layout: DataLayout;
  let kiln: RunningKiln;
  let baseUrl: string;
  let trigger: http.Server;
  let triggerCalls = 0;
  let triggerUp = false;
  const mirror = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-mirror-'));

  beforeAll(async () => {
    t = await connectToTestServer();
    // A trigger that fails for good: the publish must retry it, report it, and stay published.
    trigger = http.createServer((req, res) => {
      triggerCalls++;
      req.resume();
      if (triggerUp) res.writeHead(204).end(); else res.writeHead(503).end('down for maintenance');
    });
    await new Promise<void>((r) => trigger.listen(0, '127.0.0.1', r));
    repo = new PortsRepo({ fromExamples: false });
    writeFixturePackage(repo.dir, { name: 'kiln-p-tool', version: '1.0', architecture: 'any' });
    writeFixturePackage(repo.dir, { name: 'kiln-p-data', version: '1.0', architecture: 'all' });
    config = testConfig([{
      name: `p${Date.now()}`,
      url: repo.dir,
      publish: `{ keepSnapshots: 5, targets: [{ rsync: ${mirror} }, { trigger: "http://127.0.0.1:${(trigger.address() as AddressInfo).port}/hook" }] }`,
    }]);
    layout = new DataLayout(config.dataDir);
    kiln = await runKiln(t, config);
    baseUrl = kiln.baseUrl;
  });

  afterAll(async () => {
    trigger?.close();
    await kiln?.stop();
    await t?.close();
    repo?.cleanup();
    fs.rmSync(mirror, { recursive: true, force: true });
  });

  const tree = () => config.trees[0].name;
  const repoDir = () => layout.repo(tree(), 'main');
  const repoUrl = () => `${baseUrl}/repos/${tree()}/main`;
  const manifest = (n: number): SnapshotManifest => JSON.parse(fs.readFileSync(path.join(repoDir(), 'snapshots', String(n).padStart(6, '0'), 'kiln-manifest.json'), 'utf8'));

  /** The push's result; if it does not finish in 4 minutes, the error says where it and every workflow stood. */
  async function pushAndWait(commit: string) {
    const { workflowId } = await requestPush(t.client, { tree: tree(), branch: 'main', commit }, 'test');
    return pushResultOf(t.client, workflowId, 240_000);
  }

  async function keyring(): Promise<Buffer> {
    const res = await fetch(`${repoUrl()}/kiln-archive-keyring.gpg`);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  }

  async function installAndRead(arch: AptArch, pkg: string) {
    return aptInstall({
      arch, keyring: await keyring(), sourcesLine: `deb [signed-by=${APT_TEST_KEYRING}] ${repoUrl()} main main`,
      packages: [pkg, 'kiln-p-data'], extraCommands: [`cat /usr/share/${pkg}/${pkg}.txt`, 'dpkg --print-architecture'],
    });
  }

  it('publishes a signed snapshot that apt installs over HTTP on amd64 and i386, and minisign verifies', async () => {
    const result = await pushAndWait(repo.commit('two packages'));
    expect(result.outcome).toBe('succeeded');
    expect(result.status.publish).toMatchObject({ outcome: 'published', snapshot: 1 });
    expect(fs.readlinkSync(path.join(repoDir(), 'current'))).toBe(path.join('snapshots', '000001'));

    // Nothing copied: the pool links the artifact store's files.
    const first = manifest(1);
    for (const a of first.sources.flatMap((s) => s.artifacts)) {
      expect(fs.statSync(path.join(repoDir(), 'current', a.pool)).ino).toBe(fs.statSync(path.join(layout.store, a.sha256)).ino);
    }

    // The reference minisign verifies Release with the published public key; the trusted comment names the push.
    const dists = path.join(repoDir(), 'current', 'dists', 'main');
    const verify = spawnSync('minisign', ['-V', '-m', path.join(dists, 'Release'), '-x', path.join(dists, 'Release.minisig'),
      '-p', path.join(repoDir(), 'current', 'minisign.pub')], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toContain(`kiln tree:${tree()} branch:main suite:main snapshot:1 commit:${first.commit}`);

    for (const arch of ['amd64', 'i386'] as const) {
      const apt = await installAndRead(arch, 'kiln-p-tool');
      expect(apt.exitCode, apt.output).toBe(0);
      expect(apt.output).toContain('built kiln-p-tool 1.0');
      expect(apt.output).toMatch(new RegExp(`^${arch}$`, 'm'));
    }

    // Targets: the rsync mirror holds the same signed repository; the failing trigger was retried, then reported.
    expect(fs.readFileSync(path.join(mirror, 'dists', 'main', 'InRelease'))).toEqual(fs.readFileSync(path.join(dists, 'InRelease')));
    const targets = result.status.publish!.targets;
    expect(targets[0]).toMatchObject({ target: 0, ok: true });
    expect(targets[1]).toMatchObject({ target: 1, ok: false });
    expect(targets[1].error).toMatch(/503/);
    expect(triggerCalls).toBeGreaterThan(1);
    triggerUp = true; // the next publishes reach it
  }, 300_000);

  it('publishes each source package under pool/ with a signed Sources index, and apt-get source fetches it', async () => {
    const release = fs.readFileSync(path.join(repoDir(), 'current', 'dists', 'main', 'Release'), 'utf8');
    expect(release).toMatch(/^ [0-9a-f]{64} +\d+ main\/source\/Sources$/m);
    expect(release).toMatch(/^ [0-9a-f]{64} +\d+ main\/source\/Sources\.xz$/m);
    // One build per source made it (the first arch's); the .dsc and its tarball sit in the source's pool folder.
    const sources = manifest(1).sources.find((s) => s.source === 'kiln-p-tool')!;
    expect(sources.artifacts.filter((a) => a.architecture === 'source').map((a) => [a.file, a.builtOn])).toEqual([
      ['kiln-p-tool_1.0.dsc', 'amd64'], ['kiln-p-tool_1.0.tar.xz', 'amd64'],
    ]);
    const apt = await aptUpdate({
      arch: 'i386', keyring: await keyring(), sourcesLine: `deb-src [signed-by=${APT_TEST_KEYRING}] ${repoUrl()} main main`,
      extraCommands: ['cd /tmp && apt-get source kiln-p-tool', 'head -1 /tmp/kiln-p-tool-1.0/debian/changelog', 'ls /tmp/kiln-p-tool-1.0/debian/control'],
    });
    expect(apt.exitCode, apt.output).toBe(0);
    expect(apt.output).toMatch(/^kiln-p-tool \(1\.0\)/m);
    expect(apt.output).toContain('/tmp/kiln-p-tool-1.0/debian/control');
  }, 120_000);

  it('makes apt refuse a tampered Packages index', async () => {
    const file = path.join(repoDir(), 'current', 'dists', 'main', 'main', 'binary-amd64', 'Packages.xz');
    const original = fs.readFileSync(file);
    const packages = execFileSync('xz', ['-dc'], { input: original }).toString().replace('Version: 1.0', 'Version: 6.6');
    try {
      fs.writeFileSync(file, execFileSync('xz', ['-c'], { input: packages })); // in place: the by-hash link changes too
      const apt = await aptUpdate({ arch: 'amd64', keyring: await keyring(), sourcesLine: `deb [signed-by=${APT_TEST_KEYRING}] ${repoUrl()} main main` });
      expect(apt.exitCode).not.toBe(0);
      expect(apt.output).toMatch(APT_REFUSAL);
    } finally {
      fs.writeFileSync(file, original);
    }
  }, 120_000);

  it('publishes only what a second push changed, and rolls back to the previous snapshot', async () => {
    // A reader polling throughout sees only complete, correctly signed states.
    const reader = new RepoReader(repoUrl(), 'main', await keyring(), ['amd64', 'i386']);
    reader.start();
    writeFixturePackage(repo.dir, { name: 'kiln-p-tool', version: '1.1', architecture: 'any' });
    const result = await pushAndWait(repo.commit('kiln-p-tool 1.1'));
    expect(result.status.publish).toMatchObject({ outcome: 'published', snapshot: 2 });
    expect(result.status.publish!.targets.map((x) => x.ok)).toEqual([true, true]);
    expect(result.status.builds.map((b) => b.id)).toEqual(['kiln-p-tool/amd64', 'kiln-p-tool/i386']);

    const [one, two] = [manifest(1), manifest(2)];
    expect(two.base).toBe(1);
    const bySource = (m: SnapshotManifest) => new Map(m.sources.map((s) => [s.source, s]));
    expect(bySource(two).get('kiln-p-data')).toEqual(bySource(one).get('kiln-p-data'));
    expect(bySource(two).get('kiln-p-tool')!.version).toBe('1.1');
    const dataPool = bySource(one).get('kiln-p-data')!.artifacts[0].pool;
    expect(fs.statSync(path.join(repoDir(), 'snapshots', '000002', dataPool)).ino)
      .toBe(fs.statSync(path.join(repoDir(), 'snapshots', '000001', dataPool)).ino);
    expect((await installAndRead('amd64', 'kiln-p-tool')).output).toContain('built kiln-p-tool 1.1');

    const rollback = await requestRollback(t.client, { tree: tree(), branch: 'main' });
    const rolled = await rollback.result();
    expect(rolled).toMatchObject({ outcome: 'published', snapshot: 3, commit: one.commit });
    const three = manifest(3);
    expect(three.rollbackOf).toBe(1);
    expect(three.sources).toEqual(one.sources);
    expect(fs.readlinkSync(path.join(repoDir(), 'current'))).toBe(path.join('snapshots', '000003'));
    const apt = await installAndRead('i386', 'kiln-p-tool');
    expect(apt.exitCode, apt.output).toBe(0);
    expect(apt.output).toContain('built kiln-p-tool 1.0');

    await reader.stop();
    expect(reader.problems()).toEqual([]);
    expect(reader.releases().map((d) => /snapshot (\d+)/.exec(d)![1])).toEqual(['1', '2', '3']);
  }, 400_000);
});
