import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { BuildRecord } from '../../activities/builder/build-package';
import { generateSignerKeys } from '../../activities/signer/signer-keys';
import { requestPush } from '../../api/intake/request-push';
import { DataLayout } from '../../domain/data-layout';
import type { PushResult } from '../../domain/push';
import { KDF_LIMITS_INTERACTIVE } from '../../domain/signing/minisign';
import type { TemporalDevServer } from '../../workers/lib/temporal-dev-server';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { freePort } from '../helpers/ports';
import { ContainerCreations, KilnProcesses, ownTemporalServer, requireCompiledWorkers, writeProcessConfig } from '../helpers/kiln-processes';
import { PortsRepo } from '../helpers/ports-repo';
import { failedBuildLogsText, pushResultOf, pushStatusText } from '../helpers/push-result';
import { sleep } from '../helpers/until';

const exec = promisify(execFile);

// Random kills, for real: the compiled API, orchestrator, build worker and signer and a Temporal dev server of this
// file's own. 20 rounds; each pushes to a branch of its own (so every push must publish: none supersedes another),
// every other round a new version of a package, and at a random moment SIGKILLs one process at random (Temporal included) and starts it
// again after a random pause, while the pushes of earlier rounds are still building or publishing. Meanwhile:
//   - a reader polls every branch's served InRelease over HTTP every 50 ms: whatever it gets is signed (gpgv, with
//     the published keyring) and whole (the Packages index it names is served by hash, with that hash, and every
//     package that index names is served with its size);
//   - every build record is watched: none is ever written twice, and no container is created for a key after its
//     record exists (a build killed before it finished runs again; a finished one never does).
// At the end every push has published its version. The seed is printed, so a failing run can be replayed.

const ARCH = 'amd64';
const ROUNDS = 20;
const TREE = 'randomkill';
const TARGETS = ['orchestrator', 'build', 'signer', 'api', 'temporal'] as const;
type Target = (typeof TARGETS)[number];

/** A small seeded generator (mulberry32): the same seed, the same kills. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('random kills during pushes and publishes (compiled processes, own Temporal server, real Docker)', () => {
  const seed = Number(process.env.KILN_RANDOM_KILL_SEED ?? Date.now() % 1_000_000);
  const rand = random(seed);
  const branches = Array.from({ length: ROUNDS }, (_, i) => `r${String(i).padStart(2, '0')}`);
  let dir: string;
  let server: TemporalDevServer;
  let procs: KilnProcesses;
  let connection: Connection | undefined;
  let client: Client;
  let layout: DataLayout;
  let repo: PortsRepo;
  let creations: ContainerCreations;
  let apiUrl: string;

  beforeAll(async () => {
    requireCompiledWorkers();
    creations = await ContainerCreations.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-random-kill-'));
    server = await ownTemporalServer(dir);
    repo = new PortsRepo({ fromExamples: false });
    writeFixturePackage(repo.dir, { name: 'kiln-rk-lib', version: '1.0', architecture: 'any' });
    repo.commit('the library');
    layout = new DataLayout(path.join(dir, 'data'));
    const keysDir = path.join(dir, 'keys');
    await generateSignerKeys(keysDir, { kdfLimits: KDF_LIMITS_INTERACTIVE, openpgpS2kCount: 65536 });
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    const configFile = writeProcessConfig(path.join(dir, 'kiln.yaml'), {
      dataDir: layout.root, keysDir, temporalAddress: server.address, apiPort,
      // No install tests: what is under test is resumption, and each would be one more container on 2 cores.
      trees: [{ name: TREE, url: repo.dir, architectures: [ARCH], concurrency: 2, branches, installTest: false }],
    });
    procs = new KilnProcesses(configFile);
    await Promise.all([procs.api(), procs.orchestrator(), procs.buildWorker(ARCH), procs.signer()]);
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
  });

  afterAll(async () => {
    await procs?.stopAll();
    creations?.stop();
    await connection?.close();
    await server?.stop();
    repo?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Kill one process and start it again after `pauseMs`; resolves once it is back. */
  async function killAndRestart(target: Target, pauseMs: number): Promise<void> {
    if (target === 'temporal') {
      await server.stop({ kill: true });
      await sleep(pauseMs);
      await server.start();
      return;
    }
    const name = target === 'build' ? `build-${ARCH}` : target;
    await procs.latest(name)?.kill('SIGKILL');
    await sleep(pauseMs);
    if (target === 'orchestrator') await procs.orchestrator();
    else if (target === 'build') await procs.buildWorker(ARCH);
    else if (target === 'signer') await procs.signer();
    else await procs.api();
  }

  it(`${ROUNDS} rounds: every push publishes, nothing is built twice, the served repository is never unsigned or half-switched`, async () => {
    console.log(`random-kill seed ${seed} (KILN_RANDOM_KILL_SEED=${seed} replays it)`);
    const violations: string[] = [];
    const kills: string[] = [];
    const pushes: Array<{ branch: string; version: string; workflowId: string }> = [];
    onTestFailed(async () => {
      console.error([
        `seed ${seed}; kills: ${kills.join(', ')}`, ...violations.slice(0, 20), procs.transcript(),
        ...await Promise.all(pushes.map(async (p) => `----- ${p.workflowId} -----\n${await pushStatusText(client, p.workflowId)}`)),
        ...await Promise.all(pushes.map((p) => failedBuildLogsText(client, p.workflowId, layout.root))),
      ].join('\n'));
    });

    // The record watcher: inode of each build record when first seen; a new inode is a second write.
    const recordSeen = new Map<string, { ino: number; at: number }>();
    const buildsDir = path.join(layout.root, 'builds');
    const watchRecords = () => {
      if (!fs.existsSync(buildsDir)) return;
      for (const name of fs.readdirSync(buildsDir).filter((n) => n.endsWith('.json'))) {
        const stat = fs.statSync(path.join(buildsDir, name), { throwIfNoEntry: false });
        if (!stat) continue;
        const key = name.slice(0, -'.json'.length);
        const seen = recordSeen.get(key);
        if (!seen) recordSeen.set(key, { ino: stat.ino, at: Date.now() });
        else if (seen.ino !== stat.ino) violations.push(`build record ${key} was written again`);
      }
    };

    // The reader: one branch per poll, round robin over those pushed so far.
    const verified = new Set<string>();
    let reads = 0;
    let served = 0;
    let stopReading = false;
    const keyring = path.join(dir, 'reader-keyring.gpg');
    const readOnce = async (branch: string): Promise<void> => {
      const base = `${apiUrl}/repos/${TREE}/${encodeURIComponent(branch)}`;
      let res: Response;
      try {
        res = await fetch(`${base}/dists/${branch}/InRelease`, { signal: AbortSignal.timeout(5_000) });
      } catch {
        return; // the API is down (killed): unavailable is not a wrong state
      }
      reads++;
      if (res.status === 404) return; // not published yet
      if (res.status !== 200) return;
      const text = await res.text();
      served++;
      if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----') || !text.includes('-----BEGIN PGP SIGNATURE-----')) {
        violations.push(`${branch}: InRelease served unsigned: ${text.slice(0, 80)}`);
        return;
      }
      const digest = crypto.createHash('sha256').update(text).digest('hex');
      if (verified.has(digest)) return;
      // A new InRelease: its signature, then everything it names, each served with its hash and size.
      if (!fs.existsSync(keyring)) {
        const key = await fetch(`${base}/kiln-archive-keyring.gpg`).catch(() => undefined);
        if (key?.status !== 200) return;
        fs.writeFileSync(keyring, Buffer.from(await key.arrayBuffer()));
      }
      const file = path.join(dir, `inrelease-${digest}`);
      fs.writeFileSync(file, text);
      try {
        await exec('gpgv', ['--keyring', keyring, file]);
      } catch (err) {
        violations.push(`${branch}: InRelease does not verify: ${String((err as { stderr?: string }).stderr ?? err)}`);
        return;
      }
      const entry = new RegExp(`^ ([0-9a-f]{64}) +(\\d+) main/binary-${ARCH}/Packages$`, 'm').exec(text.split('SHA256:')[1] ?? '');
      if (!entry) { violations.push(`${branch}: InRelease lists no SHA256 of main/binary-${ARCH}/Packages`); return; }
      const packages = await fetch(`${base}/dists/${branch}/main/binary-${ARCH}/by-hash/SHA256/${entry[1]}`).catch(() => undefined);
      if (!packages) return;
      const body = Buffer.from(await packages.arrayBuffer());
      if (packages.status !== 200 || crypto.createHash('sha256').update(body).digest('hex') !== entry[1] || body.length !== Number(entry[2])) {
        violations.push(`${branch}: the Packages its InRelease names (by hash ${entry[1].slice(0, 12)}) is served ${packages.status}, ${body.length} bytes`);
        return;
      }
      for (const stanza of body.toString().split('\n\n').filter((s) => s.trim())) {
        const filename = /^Filename: (.+)$/m.exec(stanza)?.[1];
        const size = /^Size: (\d+)$/m.exec(stanza)?.[1];
        const pool = await fetch(`${base}/${filename}`, { method: 'HEAD' }).catch(() => undefined);
        if (!pool) return;
        if (pool.status !== 200 || pool.headers.get('content-length') !== size) violations.push(`${branch}: ${filename} is served ${pool.status} (${pool.headers.get('content-length')} bytes, index says ${size})`);
      }
      verified.add(digest);
    };
    const reader = (async () => {
      for (let i = 0; !stopReading; i++) {
        watchRecords();
        if (pushes.length > 0) await readOnce(pushes[i % pushes.length].branch);
        await sleep(50);
      }
    })();

    const since = new Date();
    const t0 = Date.now();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const branch = branches[round];
        // A new version every other round (a real build); in between, the same commit on a new branch: a push that
        // builds nothing new (its keys are built) and publishes, which a kill must not turn into a second build.
        const version = `1.${round - (round % 2)}`;
        if (round % 2 === 0) {
          const root = writeFixturePackage(repo.dir, { name: 'kiln-rk-app', version, architecture: 'any', buildDepends: ['kiln-rk-lib'], depends: ['kiln-rk-lib'] });
          fs.writeFileSync(path.join(root, 'kiln-test-nonce'), `${randomUUID()}\n`);
          repo.commit(`round ${round}: kiln-rk-app ${version}`);
        }
        const commit = repo.git('rev-parse', 'HEAD');
        const { workflowId } = await requestPush(client, { tree: TREE, branch, commit }, 'random kill').catch(async () => {
          // Temporal may be the one just killed: the push is requested again once it is back.
          await sleep(3_000);
          return requestPush(client, { tree: TREE, branch, commit }, 'random kill');
        });
        pushes.push({ branch, version, workflowId });
        // A kill at a random moment of this round (0–6 s in), a random process, back after 0.2–2 s.
        await sleep(Math.floor(rand() * 6_000));
        const target = TARGETS[Math.floor(rand() * TARGETS.length)];
        const pause = 200 + Math.floor(rand() * 1_800);
        const killedAt = Date.now();
        await killAndRestart(target, pause);
        kills.push(`${round}:${target}@${((killedAt - t0) / 1000).toFixed(0)}s(+${((Date.now() - killedAt) / 1000).toFixed(0)}s)`);
      }
      // Every push publishes its own version.
      const results: PushResult[] = [];
      for (const p of pushes) results.push(await pushResultOf(client, p.workflowId, 600_000));
      // Where the time went: each push's start and end, from t0.
      const spans = await Promise.all(pushes.map(async (p) => {
        const d = await client.workflow.getHandle(p.workflowId).describe();
        return `${p.branch} ${((d.startTime.getTime() - t0) / 1000).toFixed(0)}-${(((d.closeTime?.getTime() ?? NaN) - t0) / 1000).toFixed(0)}s`;
      }));
      console.log(`random-kill: rounds took ${((Date.now() - t0) / 1000).toFixed(0)} s; pushes ${spans.join(', ')}`);
      for (const [i, result] of results.entries()) {
        expect({ branch: pushes[i].branch, outcome: result.outcome, publish: result.status.publish?.outcome }).toEqual({ branch: pushes[i].branch, outcome: 'succeeded', publish: 'published' });
      }
      // Let the reader see every branch's final state at least once.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && verified.size < ROUNDS) await sleep(200);
    } finally {
      stopReading = true;
      await reader;
    }
    watchRecords();
    console.log(`random-kill: kills ${kills.join(' ')}; ${reads} reads (${served} served an InRelease), ${verified.size} distinct InRelease files verified whole`);
    expect(violations).toEqual([]);
    expect(verified.size).toBeGreaterThanOrEqual(ROUNDS);

    // Nothing built twice: one record per key, and no container for a key once its record existed.
    const records = fs.readdirSync(buildsDir).filter((n) => n.endsWith('.json'))
      .map((n) => JSON.parse(fs.readFileSync(path.join(buildsDir, n), 'utf8')) as BuildRecord);
    const apps = records.filter((r) => r.spec.source === 'kiln-rk-app');
    expect(apps.map((r) => r.spec.version).sort()).toEqual([...new Set(pushes.map((p) => p.version))].sort());
    const counts = await creations.counts(records.map((r) => r.key), since);
    const late = [...recordSeen].filter(([key, seen]) => creations.createdAfter(key, seen.at + 2_000) > 0).map(([key]) => key);
    expect(late).toEqual([]);
    for (const r of records) expect({ key: r.key, containers: (counts.get(r.key) ?? 0) >= 1 }).toEqual({ key: r.key, containers: true });
  }, 1_500_000);
});
