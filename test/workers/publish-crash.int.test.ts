import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { generateSignerKeys } from '../../activities/signer/signer-keys';
import { buildApp } from '../../api/app';
import { requestPush } from '../../api/intake/request-push';
import { loadConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import type { PushResult } from '../../domain/push';
import { KDF_LIMITS_INTERACTIVE } from '../../domain/signing/minisign';
import type { TemporalDevServer } from '../../workers/lib/temporal-dev-server';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { freePort } from '../helpers/ports';
import { KilnProcesses, ownTemporalServer, requireCompiledWorkers, writeProcessConfig } from '../helpers/kiln-processes';
import { PortsRepo } from '../helpers/ports-repo';
import { pushResultOf, pushStatusText } from '../helpers/push-result';
import { sleep, until } from '../helpers/until';
import { RepoReader } from '../helpers/repo-reader';
import { pushStatusQuery } from '../../workflows/messages';

// Issue 4, crash-proof publishing, for real: the compiled orchestrator, build worker and signer (dist/) as child
// processes on a Temporal dev server of this file's own (SQLite file in a temp dir), the repository served by the real
// API app, and a reader polling it throughout (InRelease verified with gpgv, indexes fetched by hash). One tree, one
// tiny package whose version is bumped by each push, so each push publishes a new snapshot. Mid-publish (the
// snapshot's staging dir has appeared):
//   1. the orchestrator is SIGKILLed (during assemble/index when the kill is fast enough) and restarted;
//   2. the signer is down when the Release is to be signed, and started only once the publish waits for it;
//   3. the Temporal server is SIGKILLed and started again on the same SQLite file.
// Each ends with exactly one new complete snapshot (the next number, none skipped), `current` on it, no staging dir
// left, and the reader having seen it and nothing but complete, correctly signed states.

const ARCH = 'amd64';
const TREE = 'pub-crash';
const PKG = 'kiln-pc-tool';


describe('crash-proof publishing (compiled processes, own Temporal server, served repository)', () => {
  let dir: string;
  let server: TemporalDevServer;
  let procs: KilnProcesses;
  let connection: Connection | undefined;
  let client: Client;
  let layout: DataLayout;
  let repo: PortsRepo;
  let app: FastifyInstance | undefined;
  let repoUrl: string;
  let reader: RepoReader | undefined;
  let suite: string;
  let version = 0;

  const repoDir = () => layout.repo(TREE, 'main');
  const snapshotsDir = () => path.join(repoDir(), 'snapshots');
  const entries = () => (fs.existsSync(snapshotsDir()) ? fs.readdirSync(snapshotsDir()) : []);
  const snapshots = () => entries().filter((n) => /^\d{6}$/.test(n)).map(Number).sort((a, b) => a - b);
  const stagings = () => entries().filter((n) => /^\.\d{6}\.staging$/.test(n));
  const current = () => fs.readlinkSync(path.join(repoDir(), 'current'));

  beforeAll(async () => {
    requireCompiledWorkers();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-pub-crash-'));
    server = await ownTemporalServer(dir);
    repo = new PortsRepo({ fromExamples: false });
    layout = new DataLayout(path.join(dir, 'data'));
    const keysDir = path.join(dir, 'keys');
    await generateSignerKeys(keysDir, { kdfLimits: KDF_LIMITS_INTERACTIVE, openpgpS2kCount: 65536 });
    const configFile = writeProcessConfig(path.join(dir, 'kiln.yaml'), {
      dataDir: layout.root, keysDir, temporalAddress: server.address, apiPort: await freePort(),
      trees: [{ name: TREE, url: repo.dir, architectures: [ARCH], concurrency: 1 }],
    });
    procs = new KilnProcesses(configFile);
    await Promise.all([procs.api(), procs.orchestrator(), procs.buildWorker(ARCH), procs.signer()]);
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
    // The repository served as in production: the API app of the processes' own config.
    const config = loadConfig(configFile);
    app = buildApp({ config, health: { temporal: async () => undefined, docker: async () => undefined }, intake: async () => ({ workflowId: '' }) });
    repoUrl = `${await app.listen({ port: 0, host: '127.0.0.1' })}/repos/${TREE}/main`;
  }, 300_000);

  afterAll(async () => {
    await reader?.stop();
    await app?.close();
    await procs?.stopAll();
    await connection?.close();
    await server?.stop();
    repo?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });



  function diagnoseOnFailure(): { workflowId?: string } {
    const seen: { workflowId?: string } = {};
    onTestFailed(async () => {
      const serverLog = path.join(dir, 'temporal', 'temporal.log');
      console.error([
        procs.transcript(),
        `----- push ${seen.workflowId} -----`, seen.workflowId ? await pushStatusText(client, seen.workflowId) : '(not pushed)',
        `----- snapshots dir: ${entries().join(' ')} -----`,
        `----- reader problems: ${JSON.stringify(reader?.problems().slice(0, 5))} -----`,
        '----- temporal server log (tail) -----',
        fs.existsSync(serverLog) ? fs.readFileSync(serverLog, 'utf8').split('\n').slice(-40).join('\n') : '(none)',
      ].join('\n'));
    });
    return seen;
  }


  /** A new version of the package, committed and pushed. */
  async function pushNewVersion(seen: { workflowId?: string }): Promise<string> {
    version++;
    const root = writeFixturePackage(repo.dir, { name: PKG, version: `1.${version}`, architecture: 'any' });
    fs.writeFileSync(path.join(root, 'kiln-test-nonce'), `${randomUUID()}\n`);
    const commit = repo.commit(`${PKG} 1.${version}`);
    const { workflowId } = await requestPush(client, { tree: TREE, branch: 'main', commit }, 'publish crash test');
    seen.workflowId = workflowId;
    return workflowId;
  }

  /** Resolves the moment the staging dir of snapshot `number` exists (inotify, with a fast poll as a fallback). */
  async function stagingAppears(number: number, timeoutMs = 180_000): Promise<string> {
    const name = `.${String(number).padStart(6, '0')}.staging`;
    const staging = path.join(snapshotsDir(), name);
    fs.mkdirSync(snapshotsDir(), { recursive: true });
    return new Promise((resolve, reject) => {
      const watcher = fs.watch(snapshotsDir(), (_event, file) => { if (file === name) done(); });
      const poll = setInterval(() => { if (fs.existsSync(staging)) done(); }, 20);
      const timer = setTimeout(() => done(new Error(`no ${name} within ${timeoutMs} ms`)), timeoutMs);
      let finished = false;
      function done(err?: Error) {
        if (finished) return;
        finished = true;
        watcher.close();
        clearInterval(poll);
        clearTimeout(timer);
        if (err) reject(err); else resolve(staging);
      }
    });
  }

  /** What the staging dir holds now: how far assemble/complete had got. */
  function stagingState(staging: string): string {
    const has = (rel: string) => fs.existsSync(path.join(staging, rel));
    if (!fs.existsSync(staging)) return 'gone (renamed to its final name)';
    const parts = [
      has(`dists/${suite}/main/binary-${ARCH}/Packages.xz`) ? 'Packages.xz' : 'no Packages.xz',
      has(`dists/${suite}/Release`) ? 'Release' : 'no Release',
      has('kiln-manifest.json') ? 'manifest' : 'no manifest',
      has(`dists/${suite}/InRelease`) ? 'InRelease' : 'no InRelease',
    ];
    return parts.join(', ');
  }

  /** Exactly one new snapshot, the next number; `current` on it; no staging left; the reader saw it, and nothing bad. */
  async function expectOneNewSnapshot(result: PushResult, before: number[]): Promise<number> {
    expect(result.outcome).toBe('succeeded');
    expect(result.status.publish).toMatchObject({ outcome: 'published' });
    const expected = Math.max(0, ...before) + 1;
    expect(result.status.publish!.snapshot).toBe(expected);
    expect(snapshots()).toEqual([...before, expected]);
    expect(current()).toBe(path.join('snapshots', String(expected).padStart(6, '0')));
    expect(stagings()).toEqual([]);
    const final = path.join(snapshotsDir(), String(expected).padStart(6, '0'));
    for (const rel of ['kiln-manifest.json', `dists/${suite}/Release`, `dists/${suite}/InRelease`, `dists/${suite}/Release.gpg`,
      `dists/${suite}/Release.minisig`, 'kiln-archive-keyring.gpg', 'minisign.pub']) {
      expect(fs.existsSync(path.join(final, rel)), rel).toBe(true);
    }
    const sawIt = () => reader!.seen.some((o) => !o.problem && new RegExp(`snapshot ${expected}\\b`).test(o.release ?? ''));
    await until(`the reader to see snapshot ${expected}`, sawIt, 10_000, 100);
    expect(reader!.problems()).toEqual([]);
    return expected;
  }

  it('baseline: the first push publishes snapshot 1; the reader starts polling the served repository', async () => {
    const seen = diagnoseOnFailure();
    const started = Date.now();
    const result = await pushResultOf(client, await pushNewVersion(seen), 240_000);
    expect(result.outcome).toBe('succeeded');
    expect(result.status.publish).toMatchObject({ outcome: 'published', snapshot: 1 });
    const manifest = JSON.parse(fs.readFileSync(path.join(repoDir(), 'current', 'kiln-manifest.json'), 'utf8')) as { suite: string };
    suite = manifest.suite;
    const keyring = await fetch(`${repoUrl}/kiln-archive-keyring.gpg`);
    expect(keyring.status).toBe(200);
    reader = new RepoReader(repoUrl, suite, Buffer.from(await keyring.arrayBuffer()), [ARCH]);
    reader.start(50);
    await until('the reader to see snapshot 1', () => reader!.seen.some((o) => /snapshot 1\b/.test(o.release ?? '')), 10_000, 100);
    expect(reader.problems()).toEqual([]);
    console.log(`publish crash baseline: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);

  it('orchestrator SIGKILLed the moment the snapshot is staged, restarted: exactly one new snapshot', async () => {
    const seen = diagnoseOnFailure();
    const started = Date.now();
    const before = snapshots();
    const number = Math.max(0, ...before) + 1;
    const appears = stagingAppears(number);
    const workflowId = await pushNewVersion(seen);
    const staging = await appears;
    await procs.latest('orchestrator')!.kill('SIGKILL');
    const atKill = stagingState(staging);
    const killedAt = Date.now();
    await procs.orchestrator();

    const result = await pushResultOf(client, workflowId, 240_000);
    const n = await expectOneNewSnapshot(result, before);
    console.log(`publish crash scenario 1 (orchestrator SIGKILLed mid-publish): ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
      `snapshot ${n}; staging dir when the kill landed: ${atKill}; published ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
  }, 360_000);

  it('signer down when the Release is to be signed, started once the publish waits for it: exactly one new snapshot', async () => {
    const seen = diagnoseOnFailure();
    const started = Date.now();
    const before = snapshots();
    const number = Math.max(0, ...before) + 1;
    await procs.latest('signer')!.kill('SIGKILL');
    const appears = stagingAppears(number);
    const workflowId = await pushNewVersion(seen);
    const staging = await appears;
    // Assembled (Release and manifest staged), then nothing: the sign task waits for a signer.
    await until('the snapshot to be assembled', () => fs.existsSync(path.join(staging, 'kiln-manifest.json')), 60_000, 50);
    await sleep(3_000);
    const waiting = stagingState(staging);
    expect(waiting).toContain('no InRelease');
    expect(snapshots()).toEqual(before);
    const status = await client.workflow.getHandle(workflowId).query(pushStatusQuery);
    expect(status.state).toBe('publishing');
    await procs.signer();

    const result = await pushResultOf(client, workflowId, 240_000);
    const n = await expectOneNewSnapshot(result, before);
    console.log(`publish crash scenario 2 (signer down): ${((Date.now() - started) / 1000).toFixed(1)} s, snapshot ${n}; ` +
      `staging dir while the signer was down: ${waiting}`);
  }, 300_000);

  it('Temporal server SIGKILLed the moment the snapshot is staged, restarted on the same SQLite file: exactly one new snapshot', async () => {
    const seen = diagnoseOnFailure();
    const started = Date.now();
    const before = snapshots();
    const number = Math.max(0, ...before) + 1;
    const appears = stagingAppears(number);
    const workflowId = await pushNewVersion(seen);
    const staging = await appears;
    await server.stop({ kill: true });
    const atKill = stagingState(staging);
    const downAt = Date.now();
    await sleep(2_000);
    const whileDown = stagingState(staging);
    await server.start();
    const downFor = Date.now() - downAt;

    const result = await pushResultOf(client, workflowId, 240_000);
    const n = await expectOneNewSnapshot(result, before);
    console.log(`publish crash scenario 3 (Temporal server SIGKILLed): ${((Date.now() - started) / 1000).toFixed(1)} s, snapshot ${n}, ` +
      `server down ${(downFor / 1000).toFixed(1)} s; staging dir when it stopped: ${atKill}; just before it came back: ${whileDown}`);
  }, 300_000);
});
