import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestPush } from '../../api/intake/request-push';
import { requestRollback } from '../../api/intake/request-rollback';
import type { KilnConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import { testConfig } from '../helpers/config';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PacmanClient } from '../helpers/pacman-client';
import { PortsRepo } from '../helpers/ports-repo';
import { pushStatusUntil } from '../helpers/push-status';
import { cancelSignal, retrySignal } from '../../workflows/messages';
import type { pushWorkflow } from '../../workflows/push';
import { pushResultOf, pushStatusText } from '../helpers/push-result';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';
import { PROJECT_ROOT } from '../../domain/project-paths';

const EXAMPLES = path.join(PROJECT_ROOT, 'examples', 'arch');

// The Arch example tree through the whole push on the real Temporal server and Docker engine: built in dependency
// order through the WIP pacman repository, published as a signed pacman repository, installed by the real pacman
// client with database signatures required; a database that does not match its signature is refused.
describe('a pacman tree', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let layout: DataLayout;
  let kiln: RunningKiln;
  let mirror: string;
  const clients: PacmanClient[] = [];

  beforeAll(async () => {
    t = await connectToTestServer();
    repo = new PortsRepo({ fromExamples: 'arch' });
    repo.commit('the Arch example tree');
    mirror = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-pacman-mirror-'));
    config = testConfig([{ name: `arch${Date.now()}`, url: repo.dir, format: 'pacman', installTest: true, publish: `{ targets: [{ rsync: ${mirror}/repo }] }` }]);
    layout = new DataLayout(config.dataDir);
    kiln = await runKiln(t, config);
  });

  afterAll(async () => {
    await kiln?.stop();
    await t?.close();
    repo?.cleanup();
    for (const c of clients) c.cleanup();
    if (mirror) fs.rmSync(mirror, { recursive: true, force: true });
  });

  const tree = () => config.trees[0].name;
  const current = () => path.join(layout.repo(tree(), 'main'), 'current');
  const client = () => {
    const c = new PacmanClient({ tree: tree(), url: `${kiln.baseUrl}/repos/${tree()}/main` });
    clients.push(c);
    c.trust(fs.readFileSync(path.join(current(), 'kiln-archive-keyring.gpg')), fs.readFileSync(path.join(current(), 'kiln-archive-key.fingerprint'), 'utf8').trim());
    return c;
  };

  it('builds in dependency order, publishes, and pacman installs it with the database signature required', async () => {
    const commit = repo.git('rev-parse', 'HEAD');
    const { workflowId } = await requestPush(t.client, { tree: tree(), branch: 'main', commit }, 'test');
    const result = await pushResultOf(t.client, workflowId, 300_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; status: ${await pushStatusText(t.client, workflowId)}`);
    });
    expect(result.outcome, await pushStatusText(t.client, workflowId)).toBe('succeeded');
    expect(result.status.publish?.outcome).toBe('published');
    const byId = new Map(result.status.builds.map((b) => [b.id, b]));
    expect([...byId.keys()].sort()).toEqual(['kiln-arch-data/x86_64', 'kiln-arch-greet/x86_64', 'kiln-arch-hello/x86_64']);
    // hello makedepends on data: it started after data was built, and its log shows pacman installing data from WIP.
    expect(byId.get('kiln-arch-hello/x86_64')!.startedAt!).toBeGreaterThanOrEqual(byId.get('kiln-arch-data/x86_64')!.finishedAt!);
    expect(fs.readFileSync(path.join(config.dataDir, byId.get('kiln-arch-hello/x86_64')!.log), 'utf8')).toMatch(/kiln-arch-data/);
    // Before publishing: each package installed by pacman in a fresh container (greet pulling in hello from the WIP
    // repository), then each recipe's kiln-test run there, offline, as the unprivileged user.
    const tests = new Map((result.status.installTests ?? []).map((x) => [x.id, x]));
    expect([...tests.values()].map((x) => `${x.id} ${x.state}`).sort()).toEqual([...byId.keys()].sort().map((id) => `${id} passed`));
    expect(tests.get('kiln-arch-greet/x86_64')!.summary).toMatchObject({ installed: ['kiln-arch-greet'], passed: ['kiln-test'], failed: [] });
    const greetLog = fs.readFileSync(path.join(config.dataDir, byId.get('kiln-arch-greet/x86_64')!.log), 'utf8');
    expect(greetLog).toMatch(/===== kiln: install test: kiln-arch-greet in a fresh container =====[\s\S]*kiln-arch-hello/);
    expect(greetLog).toMatch(/===== kiln: test as builder, offline, in a copy of the recipe: kiln-test =====/);

    // The published layout: the arch's databases (links by name), their detached signatures, the any packages.
    const x86 = path.join(current(), 'x86_64');
    for (const name of [`${tree()}.db`, `${tree()}.db.tar.gz`, `${tree()}.files`, `${tree()}.db.sig`, `${tree()}.files.sig`]) {
      expect(fs.existsSync(path.join(x86, name)), name).toBe(true);
    }
    expect(fs.readdirSync(x86).filter((f) => f.endsWith('.pkg.tar.zst')).sort()).toEqual([
      expect.stringMatching(/^kiln-arch-data-.*-any\.pkg\.tar\.zst$/),
      expect.stringMatching(/^kiln-arch-greet-.*-any\.pkg\.tar\.zst$/),
      expect.stringMatching(/^kiln-arch-hello-.*-x86_64\.pkg\.tar\.zst$/),
    ]);
    // minisign checks the Release that lists the databases, as it does for Debian.
    expect(execFileSync('minisign', ['-Vm', path.join(current(), 'Release'), '-p', path.join(current(), 'minisign.pub')], { encoding: 'utf8' }))
      .toMatch(/Signature and comment signature verified/);

    const pacman = client();
    const installed = await pacman.pacman('-Sy', 'kiln-arch-greet');
    expect(installed.status, installed.output).toBe(0);
    // greet pulled in hello, its runtime dependency, from the same repository.
    expect(installed.output).toMatch(/kiln-arch-hello/);
    expect(fs.existsSync(path.join(pacman.root, 'usr/bin/kiln-arch-hello'))).toBe(true);
    const query = await pacman.pacman('-Q');
    expect(query.output).toMatch(/kiln-arch-greet/);
    expect(query.output).toMatch(/kiln-arch-hello/);

    // The rsync publish target holds the same repository as real files (no links), databases and signatures included.
    expect(result.status.publish?.targets).toEqual([expect.objectContaining({ ok: true })]);
    const mirrored = path.join(mirror, 'repo', 'x86_64');
    for (const name of fs.readdirSync(x86)) {
      expect(fs.lstatSync(path.join(mirrored, name)).isFile(), name).toBe(true);
      expect(fs.readFileSync(path.join(mirrored, name)).equals(fs.readFileSync(path.join(x86, name))), name).toBe(true);
    }
    expect(fs.readFileSync(path.join(mirror, 'repo', 'Release'), 'utf8')).toBe(fs.readFileSync(path.join(current(), 'Release'), 'utf8'));
  }, 400_000);

  it('refuses a database whose signature does not match', async () => {
    const db = path.join(current(), 'x86_64', `${tree()}.db`);
    const original = fs.readFileSync(db);
    try {
      // A database with one byte more: the signature, still the old one, no longer matches.
      fs.writeFileSync(db, Buffer.concat([original, Buffer.from([0])]));
      const refused = await client().pacman('-Sy');
      expect(refused.status).not.toBe(0);
      expect(refused.output).toMatch(/invalid or corrupted database \(PGP signature\)|signature .* is invalid/i);
    } finally {
      fs.writeFileSync(db, original);
    }
  });

  it('a package whose kiln-test fails blocks the publish; retry runs the test again', async () => {
    const db = path.join(current(), 'x86_64', `${tree()}.db`);
    const published = fs.readFileSync(db);
    const snapshot = fs.readlinkSync(current());
    repo.write('kiln-arch-greet/kiln-test', '#!/bin/sh\necho "kiln-test: failing on purpose"\nexit 1\n', 0o755);
    for (const file of ['PKGBUILD', '.SRCINFO']) {
      repo.write(`kiln-arch-greet/${file}`, fs.readFileSync(repo.path('kiln-arch-greet', file), 'utf8').replace(/pkgrel( ?)=( ?)1/, 'pkgrel$1=$22'));
    }
    const { workflowId } = await requestPush(t.client, { tree: tree(), branch: 'main', commit: repo.commit('a failing kiln-test') }, 'test');
    const failed = await pushStatusUntil(t.client, workflowId, (s) => s.state === 'failed', 240_000);
    expect(failed.builds.map((b) => `${b.id} ${b.state}`)).toEqual(['kiln-arch-greet/x86_64 succeeded']);
    expect(failed.installTests).toMatchObject([{ id: 'kiln-arch-greet/x86_64', state: 'failed', error: { type: 'InstallTestFailed' }, summary: { installed: ['kiln-arch-greet'], failed: ['kiln-test'] } }]);
    expect(fs.readFileSync(path.join(config.dataDir, failed.builds[0].log), 'utf8')).toMatch(/kiln-test: failing on purpose[\s\S]*FAILED: exit 1/);
    // Nothing published: the same snapshot, the same database.
    expect(fs.readlinkSync(current())).toBe(snapshot);
    expect(fs.readFileSync(db).equals(published)).toBe(true);

    const handle = t.client.workflow.getHandle<typeof pushWorkflow>(workflowId);
    await handle.signal(retrySignal, {});
    const again = await pushStatusUntil(t.client, workflowId, (s) => s.state === 'failed' && s.installTests?.[0].attempt === 2 && s.installTests[0].state === 'failed', 120_000);
    expect(again.installTests![0].state).toBe('failed');
    await handle.signal(cancelSignal, { reason: 'test' });
    expect((await handle.result()).outcome).toBe('cancelled');
    expect(fs.readlinkSync(current())).toBe(snapshot);
  }, 400_000);

  it('a fixing push publishes a new snapshot; a rollback republishes the older one, and pacman downgrades to it', async () => {
    repo.write('kiln-arch-greet/kiln-test', fs.readFileSync(path.join(EXAMPLES, 'kiln-arch-greet', 'kiln-test'), 'utf8'), 0o755);
    for (const file of ['PKGBUILD', '.SRCINFO']) {
      repo.write(`kiln-arch-greet/${file}`, fs.readFileSync(repo.path('kiln-arch-greet', file), 'utf8').replace(/pkgrel( ?)=( ?)2/, 'pkgrel$1=$23'));
    }
    const { workflowId } = await requestPush(t.client, { tree: tree(), branch: 'main', commit: repo.commit('kiln-test fixed') }, 'test');
    const fixed = await pushResultOf(t.client, workflowId, 300_000);
    expect(fixed.outcome, await pushStatusText(t.client, workflowId)).toBe('succeeded');
    expect(fixed.status.installTests?.map((x) => `${x.id} ${x.state}`)).toEqual(['kiln-arch-greet/x86_64 passed']);
    const pacman = client();
    expect((await pacman.pacman('-Sy', 'kiln-arch-greet')).status).toBe(0);
    expect((await pacman.pacman('-Q', 'kiln-arch-greet')).output).toMatch(/kiln-arch-greet 1\.0-3/);

    const rollback = await requestRollback(t.client, { tree: tree(), branch: 'main' });
    const rolled = await rollback.result();
    expect(rolled.outcome).toBe('published');
    // A new snapshot, signed afresh, holding the first one's packages: pacman's -Suu takes the older version.
    const downgrade = await pacman.pacman('-Syuu');
    expect(downgrade.status, downgrade.output).toBe(0);
    expect((await pacman.pacman('-Q', 'kiln-arch-greet')).output).toMatch(/kiln-arch-greet 1\.0-1/);
  }, 400_000);
});
