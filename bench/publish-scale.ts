import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
// The module object itself (not a namespace copy): the file-read count below wraps its functions.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import nodeFs = require('node:fs');
import * as path from 'node:path';
import { promisify } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { debPackageEntry } from '../activities/deb/package-entry';
import { createPublishActivities } from '../activities/publish/publish-activities';
import { createSignerActivities } from '../activities/signer-activities';
import { generateSignerKeys, loadSignerKeys } from '../activities/signer/signer-keys';
import type { BuildRecord } from '../activities/builder/build-request';
import { buildApp } from '../api/app';
import { parseConfig, type KilnConfig } from '../domain/config';
import { DataLayout, type PushRef } from '../domain/data-layout';
import { packagesIndex, poolPath } from '../domain/publish/apt-index';
import type { PublishRequest } from '../domain/publish/publish';
import type { SnapshotManifest, SnapshotSource } from '../domain/publish/snapshot-manifest';
import { snapshotDirName } from '../domain/publish/snapshot-manifest';
import type { Plan, PushStatus } from '../domain/push';
import { KDF_LIMITS_INTERACTIVE } from '../domain/signing/minisign';
import { APT_TEST_KEYRING, aptInstall } from '../test/helpers/apt-client';
import type { BenchContext } from './lib/context';
import { figure, median, note, timed } from './lib/report';
import { syntheticDeb, type SyntheticDeb } from './lib/synthetic-deb';

const exec = promisify(execFile);
const ID = 'publish-scale';
const TREE = 'bench';
const BRANCH = 'main';
const ARCH = 'amd64';
/** Changes published one after another into each branch; the figure is their median. */
const CHANGES = 3;

// Publishing one changed package into a branch of 1,000 / 10,000 / 50,000 packages: Kiln's whole publish (compose the
// snapshot, link its pool, write and compress the index, the signer's round trip through its activity, complete,
// switch) versus the floor (render and compress the same index), apt-ftparchive (without and with its cache),
// reprepro includedeb and dpkg-scanpackages over the same pool. See bench/README.md for the goals and why.

export async function publishScale(ctx: BenchContext): Promise<void> {
  await requireTools(['apt-ftparchive', 'reprepro', 'dpkg-scanpackages', 'xz']);
  for (const size of sizesOf(ctx)) await oneSize(ctx, size);
  await realisticSizes(ctx, ctx.quick ? 1_000 : 10_000);
}

const sizesOf = (ctx: BenchContext) => ctx.sizes ?? (ctx.quick ? [1_000] : [1_000, 10_000, 50_000]);

interface Branch {
  dir: string;
  config: KilnConfig;
  layout: DataLayout;
  publish: ReturnType<typeof createPublishActivities>;
  signer: ReturnType<typeof createSignerActivities>;
  /** Every package of the branch as now published, by source name. */
  sources: Map<string, SnapshotSource>;
  number: number;
}

async function requireTools(tools: string[]): Promise<void> {
  for (const tool of tools) {
    await exec('sh', ['-c', `command -v ${tool}`]).catch(() => {
      throw new Error(`${tool} is not installed (scripts/setup.sh installs it)`);
    });
  }
}

async function newBranch(ctx: BenchContext, label: string): Promise<Branch> {
  const dir = fs.mkdtempSync(path.join(ctx.tmp, `${label}-`));
  const config = parseConfig([
    `dataDir: ${dir}`,
    'trees:',
    `  - name: ${TREE}`,
    `    url: ${dir}/ports`,
    '    format: deb',
    '    distribution: bookworm',
    `    branches: [${BRANCH}]`,
    `    architectures: [${ARCH}]`,
    '    publish: { keepSnapshots: 2 }',
  ].join('\n'), dir);
  const layout = new DataLayout(config.dataDir);
  fs.mkdirSync(layout.store, { recursive: true });
  await generateSignerKeys(config.signer.keysDir, { kdfLimits: KDF_LIMITS_INTERACTIVE, openpgpS2kCount: 65536 });
  return {
    dir, config, layout, sources: new Map(), number: 0,
    publish: createPublishActivities({ config, layout }),
    signer: createSignerActivities(await loadSignerKeys(config.signer.keysDir), config),
  };
}

function sourceOf(deb: SyntheticDeb, key: string): SnapshotSource {
  return {
    source: deb.package, version: deb.version, treeHash: key, arches: [ARCH],
    artifacts: [{
      file: deb.file, pool: poolPath(deb.package, deb.file), sha256: deb.sha256, size: deb.data.length, package: deb.package,
      version: deb.version, architecture: deb.architecture, builtOn: ARCH, key, stanza: deb.stanza,
    }],
  };
}

async function store(branch: Branch, deb: SyntheticDeb): Promise<void> {
  await fs.promises.writeFile(path.join(branch.layout.store, deb.sha256), deb.data);
}

/** The branch's first snapshot, holding `debs`, made through Kiln's publish of a push that built them all. */
async function fill(branch: Branch, debs: SyntheticDeb[]): Promise<void> {
  for (let i = 0; i < debs.length; i += 500) await Promise.all(debs.slice(i, i + 500).map((d) => store(branch, d)));
  await publishPush(branch, debs);
}

/**
 * What the publish workflow does for a push that built `built` (everything else of the branch unchanged): the push's
 * plan, record and build records on disk as the orchestrator leaves them, then the four publish activities in order.
 * Returns each step's milliseconds.
 */
async function publishPush(branch: Branch, built: SyntheticDeb[]): Promise<Record<'assemble' | 'sign' | 'complete' | 'switch', number>> {
  const number = ++branch.number;
  const push: PushRef = { tree: TREE, branch: BRANCH, commit: crypto.createHash('sha1').update(String(number)).digest('hex') };
  const changed = new Set(built.map((d) => d.package));
  const keyed = built.map((deb) => ({ deb, key: crypto.createHash('sha256').update(`${deb.file} ${number}`).digest('hex').slice(0, 32) }));
  for (const { deb, key } of keyed) {
    const record: Pick<BuildRecord, 'key' | 'artifacts'> & { spec: Pick<BuildRecord['spec'], 'source' | 'version' | 'treeHash' | 'arch'> } = {
      key, spec: { source: deb.package, version: deb.version, treeHash: key, arch: ARCH },
      artifacts: [{ file: deb.file, sha256: deb.sha256, size: deb.data.length, package: deb.package, version: deb.version, architecture: deb.architecture, stanza: deb.stanza }],
    };
    await writeJson(branch.layout.buildRecord(key), record);
  }
  const plan: Pick<Plan, 'push' | 'unchanged'> = {
    push, unchanged: [...branch.sources.values()].filter((s) => !changed.has(s.source)).map((s) => ({ source: s.source, version: s.version })),
  };
  const record: Pick<PushStatus, 'push' | 'builds'> = {
    push, builds: keyed.map(({ deb, key }) => ({ id: `${deb.package}/${ARCH}`, source: deb.package, version: deb.version, arch: ARCH, state: 'succeeded', attempt: 1, key, log: '' })),
  };
  await writeJson(branch.layout.pushPlan(push), plan);
  await writeJson(branch.layout.pushRecord(push), record);

  const request: PublishRequest = { kind: 'push', tree: TREE, branch: BRANCH, replyTo: `bench/${number}`, push, seq: number };
  const assemble = await timed(() => inActivity(branch.publish.assembleSnapshot, { number, request }));
  const staged = assemble.result;
  const sign = await timed(() => inActivity(branch.signer.signRelease, {
    tree: TREE, branch: BRANCH, snapshot: number, suite: staged.suite, commit: staged.commit, release: staged.release,
  }));
  const complete = await timed(() => inActivity(branch.publish.completeSnapshot, {
    tree: TREE, branch: BRANCH, number, suite: staged.suite, releaseSha256: staged.releaseSha256, signatures: sign.result,
  }));
  const switched = await timed(() => inActivity(branch.publish.switchCurrent, { tree: TREE, branch: BRANCH, number }));
  for (const { deb, key } of keyed) branch.sources.set(deb.package, sourceOf(deb, key));
  return { assemble: assemble.ms, sign: sign.ms, complete: complete.ms, switch: switched.ms };
}

/** Run an activity function as a worker would (heartbeats, cancellation signal), without a server round trip. */
function inActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment().run(fn, ...args);
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, JSON.stringify(value));
}

const currentDir = (branch: Branch) => path.join(branch.layout.repo(TREE, BRANCH), 'snapshots', snapshotDirName(branch.number));

/**
 * `<view>/pool/...`: exactly the package files of snapshot `number`, as hard links, for the other tools to index. A
 * snapshot's own `pool` is a link to the branch's shared pool, which also holds older snapshots' files (and find,
 * hence dpkg-scanpackages, does not enter a linked start folder). Called again for a later snapshot, it changes the
 * view to that one's files (what goes and what comes), so apt-ftparchive's cache keys by the same paths.
 */
function poolView(branch: Branch, number: number, view: string): string {
  const manifest: SnapshotManifest = JSON.parse(fs.readFileSync(path.join(branch.layout.repo(TREE, BRANCH), 'snapshots', snapshotDirName(number), 'kiln-manifest.json'), 'utf8'));
  const wanted = new Map(manifest.sources.flatMap((s) => s.artifacts).map((a) => [a.pool, a.sha256]));
  const listing = path.join(view, '.files.json');
  const have: Record<string, string> = fs.existsSync(listing) ? JSON.parse(fs.readFileSync(listing, 'utf8')) : {};
  for (const [pool, sha] of Object.entries(have)) if (wanted.get(pool) !== sha) fs.rmSync(path.join(view, pool), { force: true });
  for (const [pool, sha] of wanted) {
    if (have[pool] === sha) continue;
    fs.mkdirSync(path.dirname(path.join(view, pool)), { recursive: true });
    fs.linkSync(path.join(branch.layout.store, sha), path.join(view, pool));
  }
  fs.writeFileSync(listing, JSON.stringify(Object.fromEntries(wanted)));
  return view;
}
const names = (size: number) => Array.from({ length: size }, (_, i) => `kbench-${String(i).padStart(6, '0')}`);

/** Publish one new version of a package `CHANGES` times; the median of Kiln's whole publish, and the steps'. */
async function kilnChanges(branch: Branch, size: number, label: string): Promise<number> {
  const totals: number[] = [];
  const steps: Record<string, number[]> = { assemble: [], sign: [], complete: [], switch: [] };
  for (let i = 0; i < CHANGES; i++) {
    const name = `kbench-${String(Math.floor((size * (i + 1)) / (CHANGES + 1))).padStart(6, '0')}`;
    const deb = syntheticDeb(name, `1.${i + 1}`);
    await store(branch, deb);
    const { ms, result } = await timed(() => publishPush(branch, [deb]));
    totals.push(ms);
    for (const [k, v] of Object.entries(result)) steps[k].push(v);
  }
  const total = median(totals);
  figure(ID, `kiln publish of 1 change into ${label}`, total, 'ms');
  note(ID, `${label}: assemble ${median(steps.assemble).toFixed(0)} ms, sign ${median(steps.sign).toFixed(0)} ms, complete ${median(steps.complete).toFixed(0)} ms, switch ${median(steps.switch).toFixed(0)} ms (medians of ${CHANGES})`);
  return total;
}

/** Rendering and compressing the same index Kiln publishes, with the same compressor settings: no tool can do less. */
async function floor(branch: Branch): Promise<number> {
  const runs: number[] = [];
  const manifest: SnapshotManifest = JSON.parse(fs.readFileSync(path.join(currentDir(branch), 'kiln-manifest.json'), 'utf8'));
  for (let i = 0; i < CHANGES; i++) {
    runs.push((await timed(async () => {
      const text = Buffer.from(packagesIndex(manifest.sources, ARCH));
      const xz = await xzCompress(text);
      crypto.createHash('sha256').update(text).digest('hex');
      crypto.createHash('sha256').update(xz).digest('hex');
    })).ms);
  }
  return median(runs);
}

function xzCompress(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('xz', ['--compress', '--stdout', '-6'], { encoding: 'buffer', maxBuffer: 1 << 30 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    child.stdin!.end(data);
  });
}

async function shellMs(command: string, cwd: string): Promise<number> {
  return (await timed(() => exec('sh', ['-c', command], { cwd, maxBuffer: 1 << 30 }))).ms;
}

/**
 * The files under the store or a pool that Kiln opens while publishing one more change: the goal is none besides the
 * new package (index entries travel in the manifest). Counted by watching the process's own fs calls.
 */
async function packageFilesOpened(branch: Branch, deb: SyntheticDeb): Promise<number> {
  await store(branch, deb);
  const seen: string[] = [];
  // A pool file, or a store file (named by its SHA256).
  const isPackage = (p: unknown) => typeof p === 'string' && (p.endsWith('.deb') || (p.startsWith(branch.layout.store + path.sep) && /\/[0-9a-f]{64}$/.test(p)));
  const promises = nodeFs.promises as unknown as Record<string, (...args: unknown[]) => unknown>;
  const sync = nodeFs as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = { open: promises.open, readFile: promises.readFile, openSync: sync.openSync, readFileSync: sync.readFileSync, createReadStream: sync.createReadStream };
  const spy = (target: Record<string, (...args: unknown[]) => unknown>, name: string, original: (...args: unknown[]) => unknown) => {
    target[name] = function (this: unknown, ...args: unknown[]) { if (isPackage(args[0])) seen.push(String(args[0])); return original.apply(this, args); };
  };
  spy(promises, 'open', originals.open); spy(promises, 'readFile', originals.readFile);
  spy(sync, 'openSync', originals.openSync); spy(sync, 'readFileSync', originals.readFileSync); spy(sync, 'createReadStream', originals.createReadStream);
  try {
    await publishPush(branch, [deb]);
  } finally {
    promises.open = originals.open; promises.readFile = originals.readFile;
    sync.openSync = originals.openSync; sync.readFileSync = originals.readFileSync; sync.createReadStream = originals.createReadStream;
  }
  return seen.filter((p) => !p.endsWith(deb.sha256) && !p.endsWith(deb.file)).length;
}

async function reprepro(branch: Branch, debs: SyntheticDeb[], change: SyntheticDeb): Promise<number> {
  const base = path.join(branch.dir, 'reprepro');
  fs.mkdirSync(path.join(base, 'conf'), { recursive: true });
  fs.writeFileSync(path.join(base, 'conf', 'distributions'), [
    'Codename: bench', `Architectures: ${ARCH}`, 'Components: main', 'DebIndices: Packages Release . .xz', '',
  ].join('\n'));
  const incoming = path.join(branch.dir, 'reprepro-incoming');
  fs.mkdirSync(incoming, { recursive: true });
  for (const d of [...debs, change]) fs.linkSync(path.join(branch.layout.store, d.sha256), path.join(incoming, d.file));
  for (let i = 0; i < debs.length; i += 2000) {
    await exec('reprepro', ['-b', base, '--export=never', 'includedeb', 'bench', ...debs.slice(i, i + 2000).map((d) => path.join(incoming, d.file))], { maxBuffer: 1 << 26 });
  }
  await exec('reprepro', ['-b', base, 'export', 'bench']);
  return (await timed(() => exec('reprepro', ['-b', base, 'includedeb', 'bench', path.join(incoming, change.file)]))).ms;
}

async function oneSize(ctx: BenchContext, size: number): Promise<void> {
  const label = `${size} packages`;
  note(ID, `making a branch of ${label}`);
  const branch = await newBranch(ctx, `publish-${size}`);
  const debs = names(size).map((n) => syntheticDeb(n, '1.0'));
  await checkSample(branch, debs);
  const first = await timed(() => fill(branch, debs));
  note(ID, `${label}: first publish (every package new) took ${first.ms.toFixed(0)} ms`);

  const kiln = await kilnChanges(branch, size, label);
  const floorMs = await floor(branch);
  figure(ID, `floor (render + xz -6 + sha256 of the same index) at ${label}`, floorMs, 'ms');
  figure(ID, `kiln publish / floor at ${label}`, kiln / floorMs, '×', { op: '<=', value: 1.5 });

  // The others index a folder of exactly the snapshot's files: first the previous snapshot's (to fill
  // apt-ftparchive's cache), then the current one's (one package more).
  const view = path.join(branch.dir, 'pool-view');
  const cache = path.join(branch.dir, 'ftparchive.db');
  poolView(branch, branch.number - 1, view);
  await shellMs(`apt-ftparchive --db ${cache} packages pool > /dev/null`, view);
  const snapshot = poolView(branch, branch.number, view);
  const ftpNoCache = await shellMs('apt-ftparchive packages pool > /dev/null', snapshot);
  figure(ID, `apt-ftparchive packages (no cache) at ${label}`, ftpNoCache, 'ms');
  const ftpCached = await shellMs(`apt-ftparchive --db ${cache} packages pool > /dev/null`, snapshot);
  figure(ID, `apt-ftparchive --db (cache filled, one package added) at ${label}`, ftpCached, 'ms');
  figure(ID, `apt-ftparchive --db / kiln publish at ${label}`, ftpCached / kiln, '×', { op: '>=', value: 3 });

  const change = syntheticDeb(`kbench-${String(size).padStart(6, '0')}`, '1.0');
  await store(branch, change);
  const rep = await reprepro(branch, debs, change);
  figure(ID, `reprepro includedeb of 1 package into ${label}`, rep, 'ms');
  figure(ID, `reprepro includedeb / kiln publish at ${label}`, rep / kiln, '×', { op: '>=', value: 1 });

  if (size <= 10_000) {
    const scan = await shellMs('dpkg-scanpackages -m pool > /dev/null 2>&1', snapshot);
    figure(ID, `dpkg-scanpackages -m at ${label}`, scan, 'ms');
  } else {
    // It runs dpkg-deb once per file: ten minutes here at 50,000, linear in the count (see the smaller figures).
    note(ID, `dpkg-scanpackages skipped at ${label}`);
  }

  const last = syntheticDeb('kbench-000001', '9.0');
  const opened = await packageFilesOpened(branch, last);
  figure(ID, `package files read by kiln's publish besides the new one at ${label}`, opened, 'files', { op: '<=', value: 0 });

  if (size === sizesOf(ctx).at(-1)) await aptVerifies(branch, label, last);
  fs.rmSync(branch.dir, { recursive: true, force: true });
}

/** Kiln's index entries of the synthetic packages are the ones it computes for built packages (dpkg-deb reads them). */
async function checkSample(branch: Branch, debs: SyntheticDeb[]): Promise<void> {
  for (const deb of [debs[0], debs[debs.length - 1]]) {
    const file = path.join(branch.dir, deb.file);
    fs.writeFileSync(file, deb.data);
    const entry = await debPackageEntry(file);
    fs.rmSync(file);
    if (entry.stanza !== deb.stanza) throw new Error(`synthetic package ${deb.file}: Kiln's index entry differs:\n${entry.stanza}\n---\n${deb.stanza}`);
  }
}

/** A stock apt client (bookworm, in a container) updates from the published branch over HTTP and installs from it. */
async function aptVerifies(branch: Branch, label: string, last: SyntheticDeb): Promise<void> {
  const app = buildApp({
    config: branch.config, health: { temporal: async () => undefined, docker: async () => undefined }, intake: async () => ({ workflowId: '' }),
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const repoUrl = `${url}/repos/${TREE}/${BRANCH}`;
    const keyring = Buffer.from(await (await fetch(`${repoUrl}/kiln-archive-keyring.gpg`)).arrayBuffer());
    const apt = await aptInstall({
      arch: ARCH, keyring, sourcesLine: `deb [signed-by=${APT_TEST_KEYRING}] ${repoUrl} main main`,
      packages: [`${last.package}=${last.version}`], extraCommands: [`cat /usr/share/${last.package}/payload`], timeoutMs: 300_000,
    });
    figure(ID, `apt-get update and install from the published ${label} (exit code)`, apt.exitCode, '', { op: '<=', value: 0 });
    if (apt.exitCode !== 0) note(ID, apt.output.split('\n').slice(-15).join(' | '));
  } finally {
    await app.close();
  }
}

/**
 * A few large packages (8 MB each) among the small ones: apt-ftparchive hashes every byte again, Kiln reads none of
 * them when publishing a change elsewhere. The figure: how much each one's time grows with those bytes.
 */
async function realisticSizes(ctx: BenchContext, size: number): Promise<void> {
  const label = `${size} packages with 5 of 8 MB`;
  note(ID, `making a branch of ${label}`);
  const small = await newBranch(ctx, 'publish-small');
  const large = await newBranch(ctx, 'publish-large');
  const debs = names(size).map((n) => syntheticDeb(n, '1.0'));
  const big = debs.map((d, i) => (i % Math.floor(size / 5) === 0 ? syntheticDeb(d.package, '1.0', { payloadBytes: 8 << 20 }) : d));
  await fill(small, debs);
  await fill(large, big);
  const kilnSmall = await kilnChanges(small, size, `${size} small packages`);
  const kilnLarge = await kilnChanges(large, size, label);
  figure(ID, `kiln publish growth with 40 MB of large packages at ${size}`, kilnLarge / kilnSmall, '×', { op: '<=', value: 1.25 });
  const ftpSmall = await shellMs('apt-ftparchive packages pool > /dev/null', poolView(small, small.number, path.join(small.dir, 'pool-view')));
  const ftpLarge = await shellMs('apt-ftparchive packages pool > /dev/null', poolView(large, large.number, path.join(large.dir, 'pool-view')));
  figure(ID, `apt-ftparchive (no cache) growth with 40 MB of large packages at ${size}`, ftpLarge / ftpSmall, '×');
  fs.rmSync(small.dir, { recursive: true, force: true });
  fs.rmSync(large.dir, { recursive: true, force: true });
}
