import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { BuildRecord } from '../../activities/builder/build-package';
import { generateSignerKeys } from '../../activities/signer/signer-keys';
import { requestPush } from '../../api/intake/request-push';
import { DataLayout, type PushRef } from '../../domain/data-layout';
import type { PushResult } from '../../domain/push';
import { KDF_LIMITS_INTERACTIVE } from '../../domain/signing/minisign';
import type { TemporalDevServer } from '../../workers/lib/temporal-dev-server';
import { writeFixturePackage, type FixturePackage } from '../helpers/deb-fixtures';
import { freePort } from '../helpers/ports';
import { ContainerCreations, containersOf, KilnProcesses, ownTemporalServer, requireCompiledWorkers, writeProcessConfig } from '../helpers/kiln-processes';
import { PortsRepo } from '../helpers/ports-repo';
import { pushResultOf, pushStatusText } from '../helpers/push-result';
import { sleep, until } from '../helpers/until';

// Crash-proof resumption, for real: the compiled orchestrator, build worker and signer (dist/) as child processes,
// the real Docker engine, and a Temporal dev server of this file's own (not the run's shared one) on a SQLite file in
// a temp dir, so it can be stopped and started again on the same state. One push per scenario, each on its own tree:
//   1. a build worker SIGKILLed mid-build: the new worker reaps the orphan container, the build reruns, once;
//   2. the orchestrator SIGKILLed between the builds of a chain: once while the first build runs (left dead until it
//      has finished), once the moment the second build lands (restarted at once): the dependents build, nothing twice;
//   3. the Temporal server stopped (gracefully, then SIGKILLed) while builds run: the same worker processes carry
//      on once it is back, the push completes, nothing builds twice.
// "Built once" is checked three ways: the push's result (succeeded and published, each package once), the build
// records (one per key, written once), and the Docker engine's own event log (containers created per build key).

const ARCH = 'amd64';
const TREES = { worker: 'crash-worker', orchestrator: 'crash-orch', server: 'crash-server' } as const;
type Scenario = keyof typeof TREES;


describe('crash-proof resumption (compiled processes, own Temporal server, real Docker)', () => {
  let dir: string;
  let server: TemporalDevServer;
  let procs: KilnProcesses;
  let connection: Connection | undefined;
  let client: Client;
  let layout: DataLayout;
  const repos = {} as Record<Scenario, PortsRepo>;
  let creations: ContainerCreations;

  beforeAll(async () => {
    requireCompiledWorkers();
    creations = await ContainerCreations.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-crash-'));
    server = await ownTemporalServer(dir);
    for (const scenario of Object.keys(TREES) as Scenario[]) repos[scenario] = new PortsRepo({ fromExamples: false });
    layout = new DataLayout(path.join(dir, 'data'));
    const keysDir = path.join(dir, 'keys');
    // A push ends by publishing, which needs the signer: its keys, with cheap key derivation.
    await generateSignerKeys(keysDir, { kdfLimits: KDF_LIMITS_INTERACTIVE, openpgpS2kCount: 65536 });
    const configFile = writeProcessConfig(path.join(dir, 'kiln.yaml'), {
      dataDir: layout.root,
      keysDir,
      temporalAddress: server.address, apiPort: await freePort(),
      trees: (Object.keys(TREES) as Scenario[]).map((s) => ({ name: TREES[s], url: repos[s].dir, architectures: [ARCH], concurrency: 2 })),
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
    for (const repo of Object.values(repos)) repo.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fixture package whose tree hash (so build key) is new on every run: nothing is shared with earlier runs. */
  function fixture(scenario: Scenario, pkg: FixturePackage): void {
    const root = writeFixturePackage(repos[scenario].dir, pkg);
    fs.writeFileSync(path.join(root, 'kiln-test-nonce'), `${randomUUID()}\n`);
  }

  async function push(scenario: Scenario): Promise<{ workflowId: string; ref: PushRef }> {
    const ref = { tree: TREES[scenario], branch: 'main', commit: repos[scenario].commit(`crash scenario: ${scenario}`) };
    const { workflowId } = await requestPush(client, ref, 'crash test');
    return { workflowId, ref };
  }

  const logText = (ref: PushRef, source: string) => {
    const file = layout.buildLog(ref, source, ARCH);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  };
  const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
  /** The build's container runs the package's own build (dpkg-buildpackage): a build in flight. */
  const inFlight = (ref: PushRef, source: string) => /===== kiln: dpkg-buildpackage/.test(logText(ref, source));

  function records(tree: string): BuildRecord[] {
    const buildsDir = path.join(layout.root, 'builds');
    if (!fs.existsSync(buildsDir)) return [];
    return fs.readdirSync(buildsDir).filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(buildsDir, f), 'utf8')) as BuildRecord)
      .filter((r) => r.spec.tree === tree);
  }



  /** On failure: every process's output, the push's status and the Temporal server's log, to see where it stuck. */
  function diagnoseOnFailure(): { workflowId?: string } {
    const current: { workflowId?: string } = {};
    onTestFailed(async () => {
      const id = current.workflowId;
      const serverLog = path.join(dir, 'temporal', 'temporal.log');
      console.error([
        procs.transcript(),
        `----- push ${id} -----`, id ? await pushStatusText(client, id) : '(not pushed)',
        '----- temporal server log (tail) -----',
        fs.existsSync(serverLog) ? fs.readFileSync(serverLog, 'utf8').split('\n').slice(-40).join('\n') : '(none)',
      ].join('\n'));
    });
    return current;
  }


  /**
   * The push succeeded with each package exactly once; each key has one build record; and the engine created
   * `1 + reruns[source]` containers for it (a rerun is a build whose container was killed before it finished).
   */
  async function expectBuiltOnce(result: PushResult, ref: PushRef, sources: string[], since: Date, reruns: Record<string, number> = {}) {
    expect(result.outcome).toBe('succeeded');
    expect(result.status.publish).toMatchObject({ outcome: 'published' });
    const builds = result.status.builds;
    expect(builds.map((b) => b.id).sort()).toEqual(sources.map((s) => `${s}/${ARCH}`).sort());
    for (const b of builds) expect(b.state, b.id).toBe('succeeded');

    const recs = records(ref.tree);
    expect(recs.map((r) => r.spec.source).sort()).toEqual([...sources].sort());
    expect(new Set(recs.map((r) => r.key)).size).toBe(sources.length);
    const keyOf = new Map(recs.map((r) => [r.spec.source, r.key]));
    for (const b of builds) expect(b.key, b.id).toBe(keyOf.get(b.source));

    const created = await creations.counts([...keyOf.values()], since);
    for (const source of sources) {
      const runs = 1 + (reruns[source] ?? 0);
      const log = logText(ref, source);
      expect({ source, containers: created.get(keyOf.get(source)!) }).toEqual({ source, containers: runs });
      expect({ source, started: count(log, /===== kiln: building /) }).toEqual({ source, started: runs });
      expect({ source, finished: count(log, /===== kiln: exit 0 /) }).toEqual({ source, finished: 1 });
    }
    return keyOf;
  }

  it('build worker SIGKILLed mid-build: a new worker reaps the orphan container, the build reruns once, the push succeeds', async () => {
    const seen = diagnoseOnFailure();
    const started = Date.now();
    const since = new Date();
    fixture('worker', { name: 'kiln-c1-slow', version: '1.0', architecture: 'any', buildScript: 'sleep 8' });
    fixture('worker', { name: 'kiln-c1-app', version: '1.0', architecture: 'any', buildDepends: ['kiln-c1-slow'],
      buildScript: 'test -f /usr/share/kiln-c1-slow/kiln-c1-slow.txt' });
    const pushed = await push('worker');
    const workflowId = seen.workflowId = pushed.workflowId;

    const worker = procs.latest(`build-${ARCH}`)!;
    await until('kiln-c1-slow to build in its container', () => inFlight(pushed.ref, 'kiln-c1-slow'));
    const [container] = await containersOf(worker.pid);
    expect(container).toMatchObject({ state: 'running' });
    await worker.kill('SIGKILL');
    // The container outlives its worker: an orphan, still running.
    expect(await containersOf(worker.pid)).toEqual([container]);
    const killedAt = Date.now();

    const fresh = await procs.buildWorker(ARCH);
    expect(fresh.lines.join('\n'))
      .toContain(`removed container ${container.id.slice(0, 12)} of build ${container.key} (its worker, pid ${worker.pid}, is gone)`);
    expect(await containersOf(worker.pid)).toEqual([]);

    const result = await pushResultOf(client, workflowId, 180_000);
    const keys = await expectBuiltOnce(result, pushed.ref, ['kiln-c1-slow', 'kiln-c1-app'], since, { 'kiln-c1-slow': 1 });
    expect(keys.get('kiln-c1-slow')).toBe(container.key);
    // The rerun is a real build (no record existed), run by the new worker after Temporal noticed the lost heartbeat.
    expect(result.status.builds.every((b) => b.cached === false)).toBe(true);
    const slowRecord = records(TREES.worker).find((r) => r.spec.source === 'kiln-c1-slow')!;
    expect(slowRecord.builtAt >= new Date(killedAt).toISOString()).toBe(true);
    console.log(`crash scenario 1 (build worker killed): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);

  it('orchestrator SIGKILLed between the builds of a chain, twice: the dependents build, nothing twice', async () => {
    const seen = diagnoseOnFailure();
    const started = Date.now();
    const since = new Date();
    const chain = ['kiln-c2-lib', 'kiln-c2-mid', 'kiln-c2-app'];
    fixture('orchestrator', { name: chain[0], version: '1.0', architecture: 'any', buildScript: 'sleep 4' });
    for (const [i, name] of chain.entries()) {
      if (i === 0) continue;
      fixture('orchestrator', { name, version: '1.0', architecture: 'any', buildDepends: [chain[i - 1]],
        buildScript: `test -f /usr/share/${chain[i - 1]}/${chain[i - 1]}.txt` });
    }
    const pushed = await push('orchestrator');
    const workflowId = seen.workflowId = pushed.workflowId;
    const recordOf = (source: string) => records(TREES.orchestrator).find((r) => r.spec.source === source);

    // 1. Killed while the first build runs, and left dead while it finishes.
    await until('kiln-c2-lib to build in its container', () => inFlight(pushed.ref, 'kiln-c2-lib'));
    await procs.latest('orchestrator')!.kill('SIGKILL');
    // Without an orchestrator the build still finishes on its worker (results uploaded, log shipped through the API)...
    await until('the kiln-c2-lib build to finish on its worker', () => /"msg":"build finished".*"package":"kiln-c2-lib"/.test(procs.latest(`build-${ARCH}`)!.output()));
    await until('the kiln-c2-lib log to arrive', () => /===== kiln: exit 0 /.test(logText(pushed.ref, 'kiln-c2-lib')));
    // ...but nothing moves on: the orchestrator records it, so there is no record, and the dependent has not started.
    await sleep(2_000);
    expect(recordOf('kiln-c2-lib')).toBeUndefined();
    expect(logText(pushed.ref, 'kiln-c2-mid')).toBe('');
    expect(await containersOf(procs.latest(`build-${ARCH}`)!.pid)).toEqual([]);
    await procs.orchestrator();
    await until('the kiln-c2-lib build record', () => !!recordOf('kiln-c2-lib'), 120_000);
    const libRecord = layout.buildRecord(recordOf('kiln-c2-lib')!.key);
    const libWritten = fs.readFileSync(libRecord, 'utf8');

    // 2. Killed the moment the second build lands (whatever the orchestrator is doing then), restarted at once.
    await until('the kiln-c2-mid build record', () => !!recordOf('kiln-c2-mid'), 120_000);
    await procs.latest('orchestrator')!.kill('SIGKILL');
    const secondKill = Date.now();
    await procs.orchestrator();

    const result = await pushResultOf(client, workflowId, 180_000);
    await expectBuiltOnce(result, pushed.ref, chain, since);
    expect(result.status.builds.every((b) => b.cached === false)).toBe(true);
    expect(fs.readFileSync(libRecord, 'utf8')).toBe(libWritten);
    const bySource = new Map(result.status.builds.map((b) => [b.source, b]));
    for (let i = 1; i < chain.length; i++) {
      expect(bySource.get(chain[i])!.startedAt!).toBeGreaterThanOrEqual(bySource.get(chain[i - 1])!.finishedAt!);
    }
    console.log(`crash scenario 2 (orchestrator killed twice): ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
      `${((Date.now() - secondKill) / 1000).toFixed(1)} s from the second kill`);
  }, 300_000);

  it('Temporal server stopped (gracefully, then SIGKILLed) while builds run, restarted on the same SQLite file: the push completes, nothing twice', async () => {
    const seen = diagnoseOnFailure();
    const started = Date.now();
    const since = new Date();
    fixture('server', { name: 'kiln-c3-a', version: '1.0', architecture: 'any', buildScript: 'sleep 4' });
    fixture('server', { name: 'kiln-c3-b', version: '1.0', architecture: 'any', buildScript: 'sleep 4' });
    fixture('server', { name: 'kiln-c3-c', version: '1.0', architecture: 'any', buildDepends: ['kiln-c3-a'],
      buildScript: 'test -f /usr/share/kiln-c3-a/kiln-c3-a.txt && sleep 4' });
    const pushed = await push('server');
    const workflowId = seen.workflowId = pushed.workflowId;
    const workers = [procs.latest('orchestrator')!, procs.latest(`build-${ARCH}`)!, procs.latest('signer')!];
    const processCount = procs.started.length;

    // Two builds in flight, then the server stops (SIGTERM) and stays down until both have finished. The build worker
    // keeps retrying their completions until the server is back (the orchestrator then records them); had it given
    // up, Temporal would retry the activity and build again: the test sees no second container.
    await until('kiln-c3-a and kiln-c3-b to build in their containers',
      () => inFlight(pushed.ref, 'kiln-c3-a') && inFlight(pushed.ref, 'kiln-c3-b'));
    await server.stop();
    const downAt = Date.now();
    await until('kiln-c3-a and kiln-c3-b to finish on their worker while the server is down',
      () => ['kiln-c3-a', 'kiln-c3-b'].every((s) => new RegExp(`"msg":"build finished".*"package":"${s}"`).test(workers[1].output())));
    await sleep(1_000);
    await server.start();
    const downFor = [Date.now() - downAt];

    // The dependent build runs (the workers found the server again by themselves): now the server crashes (SIGKILL)
    // and comes back while it still runs.
    await until('kiln-c3-c to build in its container', () => inFlight(pushed.ref, 'kiln-c3-c'));
    await server.stop({ kill: true });
    const killedAt = Date.now();
    await sleep(2_000);
    await server.start();
    downFor.push(Date.now() - killedAt);

    const result = await pushResultOf(client, workflowId, 180_000);
    await expectBuiltOnce(result, pushed.ref, ['kiln-c3-a', 'kiln-c3-b', 'kiln-c3-c'], since);
    // The same worker processes did it all: they outlive the server's absence, no restart needed.
    expect(workers.map((w) => w.alive)).toEqual([true, true, true]);
    expect(procs.started.length).toBe(processCount);
    console.log(`crash scenario 3 (Temporal server stopped and killed): ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
      `server down ${downFor.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(' and ')}; ` +
      `builds ${result.status.builds.map((b) => `${b.source}${b.cached ? ' (reused its record)' : ''}`).join(', ')}`);
  }, 300_000);
});
