import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ResultRejected } from '../../domain/formats/result-rejected';
import { formatOf } from '../../domain/formats/registry';
import { formatIO } from '../formats/registry';
import type { BuiltPackageEntry } from '../formats/format-io';
import { DEFAULT_BUILD } from '../../domain/config/defaults';
import { BuildLog } from './build-log';
import { depsNetwork } from './deps-network';
import { extractResults, type ExtractedResult } from './result-archive';
import { isQuotaUnsupported, Sandbox } from '../docker/sandbox';
import { builderImageTag } from '../../domain/builder-image';
import { buildKey } from '../../domain/build-key';
import type { BuildOutcome, BuildSpec, BuiltArtifact, DeclaredBinary } from '../../domain/build';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import { readJsonIfExists, writeJsonAtomic } from '../../domain/atomic-file';
import { ArtifactStore } from '../store/artifact-store';
import { snapshotWip } from '../wip/wip-repo';
import { publishedLane } from '../wip/published-lanes';
import { requireImage } from '../docker/engine';
import { inArchPersonality } from './personality';
import { KeyLock } from './key-lock';

export interface BuildLimits {
  timeoutMinutes: number;
  memoryMb: number;
  cpus: number;
  pids: number;
  /** Absent in requests of pushes planned before these limits existed: the defaults apply. */
  diskMb?: number;
  logMaxMb?: number;
  network?: boolean;
}

export interface BuildRequest extends BuildSpec {
  push: PushRef;
  limits: BuildLimits;
  /** The recipe's declared binary packages: the only ones the build may produce. */
  binaries?: DeclaredBinary[];
}

/** What a build leaves on disk, once, under builds/<key>.json: the source of truth that a key was built. */
export interface BuildRecord {
  key: string;
  spec: BuildSpec;
  image: string;
  /** `stanza`: the format's index entry (Debian: Packages stanza; pacman: desc); `contents`: its files list, if any. */
  artifacts: Array<BuiltArtifact & { stanza: string; contents?: string }>;
  files: Array<{ name: string; sha256: string; size: number }>;
  builtAt: string;
  durationMs: number;
  log: string;
}

export interface BuildHooks {
  signal?: AbortSignal;
  /** Called every few seconds while waiting or building: the activity heartbeats here. */
  progress?: (detail: { phase: 'waiting' | 'building'; logBytes: number }) => void;
}

const EXIT_INFRASTRUCTURE = 75;
const EXIT_DEPENDENCIES = 76;
/** The recipe disagrees with itself (pacman: .SRCINFO is not what the PKGBUILD says). */
const EXIT_RECIPE_INCONSISTENT = 78;
/** Where kiln-build leaves results inside the container. */
const RESULTS_DIR = '/home/builder/out';
const MAX_RESULT_FILES = 200;
const MAX_RESULT_MB = 8192;

export async function buildPackage(layout: DataLayout, request: BuildRequest, hooks: BuildHooks = {}): Promise<BuildOutcome> {
  const image = builderImageTag(request.suite, request.arch, undefined, request.format);
  const key = buildKey(request, image);
  const logFile = layout.buildLog(request.push, request.source, request.arch);
  await fs.promises.mkdir(path.dirname(logFile), { recursive: true });
  const log = new BuildLog(logFile, ({ ...DEFAULT_BUILD, ...request.limits }).logMaxMb * 1048576);
  const write = (text: string) => log.note(text);
  try {
    for (;;) {
      const existing = await readJsonIfExists<BuildRecord>(layout.buildRecord(key));
      if (existing) {
        write(`kiln: ${request.source} ${request.version} (${request.arch}) was already built as ${key}; reusing it\n`);
        return outcome(existing, true);
      }
      await fs.promises.mkdir(path.dirname(layout.buildLock(key)), { recursive: true });
      const lock = await KeyLock.tryAcquire(layout.buildLock(key));
      if (lock) {
        try {
          // Re-check under the lock: the previous holder may have finished between our read and our lock.
          const finished = await readJsonIfExists<BuildRecord>(layout.buildRecord(key));
          if (finished) return outcome(finished, true);
          const record = await runBuild(layout, request, image, key, log, hooks);
          return outcome(record, false);
        } finally {
          await lock.release();
        }
      }
      // Another push or attempt builds this key right now: share its result rather than build it twice.
      write(`kiln: ${key} is being built elsewhere; waiting for it\n`);
      await sleep(2_000, hooks.signal);
      hooks.progress?.({ phase: 'waiting', logBytes: log.size });
    }
  } finally {
    await log.close();
  }
}

async function runBuild(
  layout: DataLayout, request: BuildRequest, image: string, key: string, log: BuildLog, hooks: BuildHooks,
): Promise<BuildRecord> {
  await requireImage(image);
  const recipe = layout.recipe(request.tree, request.treeHash);
  if (!fs.existsSync(recipe)) throw new Error(`recipe ${recipe} is missing (the plan exports it before builds start)`);
  const limits = { ...DEFAULT_BUILD, ...request.limits };
  // The host's side of a build: the WIP view it mounts read-only, and the results it copies out itself. The build
  // never writes here: nothing it made (links, setuid files, devices) can be left on the host, failed or not.
  const work = layout.buildWork(key);
  await fs.promises.rm(work, { recursive: true, force: true });
  await fs.promises.mkdir(work, { recursive: true, mode: 0o700 });
  try {
    return await sandboxedBuild(layout, request, image, key, log, hooks, recipe, work, limits);
  } finally {
    await fs.promises.rm(work, { recursive: true, force: true });
  }
}

type Limits = Required<BuildLimits>;

async function sandboxedBuild(
  layout: DataLayout, request: BuildRequest, image: string, key: string, log: BuildLog, hooks: BuildHooks,
  recipe: string, work: string, limits: Limits,
): Promise<BuildRecord> {
  const binds = [`${recipe}:/src:ro`];
  // This push's WIP lanes for the arch, frozen as of now: what the build's dependencies were built into.
  const wipView = path.join(work, 'wip');
  const format = formatOf(request.format);
  const lanes = [request.arch, format.archIndependent, publishedLane(request.arch)];
  if (await snapshotWip(layout, request.push, lanes, wipView)) binds.push(`${wipView}:/wip:ro`);
  const deps = limits.network ? undefined : await depsNetwork();

  const started = Date.now();
  log.note(`\n===== kiln: building ${request.source} ${request.version} for ${request.arch} (scope ${request.scope}) =====\n`);
  log.note(`===== kiln: key ${key}, image ${image}, ${new Date(started).toISOString()} =====\n`);
  log.note(`===== kiln: limits: ${limits.memoryMb} MiB memory, ${limits.cpus} CPU, ${limits.pids} processes, ${limits.diskMb} MiB disk, ${limits.logMaxMb} MiB log, ${limits.timeoutMinutes} min =====\n`);

  let sandbox: Sandbox;
  try {
    sandbox = await Sandbox.create({
      image, binds, network: deps ? deps.name : 'bridge',
      memoryMb: limits.memoryMb, cpus: limits.cpus, pids: limits.pids, diskMb: limits.diskMb,
      labels: { 'org.kiln.build-key': key, 'org.kiln.worker-pid': String(process.pid), 'org.kiln.worker-host': os.hostname() },
    });
  } catch (err) {
    if (isQuotaUnsupported(err)) {
      throw ApplicationFailure.nonRetryable(`the Docker engine cannot cap a build's disk (build.diskMb): its data root must be btrfs (as setup makes it) or xfs with project quotas (${String(err)}); see docs/SECURITY.md`, 'BuildDiskQuotaUnsupported');
    }
    throw err;
  }
  let stopped: 'timeout' | 'log' | undefined;
  const stop = (why: 'timeout' | 'log') => { stopped ??= why; sandbox.kill(); };
  const timer = setTimeout(() => stop('timeout'), limits.timeoutMinutes * 60_000);
  const abort = () => sandbox.kill();
  hooks.signal?.addEventListener('abort', abort, { once: true });
  log.onLimit = () => stop('log');
  const heartbeat = setInterval(() => hooks.progress?.({ phase: 'building', logBytes: log.size }), 5_000);
  const env = { ...format.buildEnvironment(Math.max(1, Math.floor(limits.cpus))), ...(deps ? { KILN_APT_PROXY: deps.proxyUrl } : {}) };
  const phase = (name: 'deps' | 'build', user: string) => sandbox.exec(
    inArchPersonality(request.arch, ['/usr/local/bin/kiln-build', name, request.scope]),
    { user, env, onOutput: (chunk) => log.write(chunk) },
  );
  try {
    let exitCode = await phase('deps', 'root');
    if (exitCode === 0) {
      if (deps) {
        await sandbox.isolate();
        log.note('\n===== kiln: build step: no network (the container left every network); connections fail =====\n');
      } else {
        log.note('\n===== kiln: build step: WITH network (build.network: true, unsafe) =====\n');
      }
      exitCode = await phase('build', 'builder');
    }
    hooks.signal?.throwIfAborted();
    const durationMs = Date.now() - started;
    log.note(`\n===== kiln: exit ${exitCode}${stopped ? ` (stopped: ${stopped})` : ''} after ${(durationMs / 1000).toFixed(1)} s =====\n`);
    if (log.error) throw new Error(`cannot write the build log (${log.error.message}); retrying`);
    if (stopped === 'timeout') throw ApplicationFailure.nonRetryable(`build timed out after ${limits.timeoutMinutes} min`, 'BuildTimedOut');
    if (stopped === 'log') throw ApplicationFailure.nonRetryable(`the build log went over ${limits.logMaxMb} MiB (build.logMaxMb); it was cut there`, 'BuildLogTooLarge');
    if (exitCode !== 0 && await overQuota(sandbox, limits.diskMb)) {
      log.note(`===== kiln: the build wrote as much as build.diskMb allows (${limits.diskMb} MiB) =====\n`);
      throw ApplicationFailure.nonRetryable(`the build filled its disk quota of ${limits.diskMb} MiB (build.diskMb)`, 'BuildDiskQuota');
    }
    if (exitCode === EXIT_INFRASTRUCTURE) throw new Error('the build container could not reach the package mirror (apt-get update failed); retrying');
    if (exitCode === EXIT_DEPENDENCIES) throw ApplicationFailure.nonRetryable('build dependencies cannot be installed (see the log)', 'BuildDependenciesMissing');
    if (exitCode === EXIT_RECIPE_INCONSISTENT) throw ApplicationFailure.nonRetryable('the recipe disagrees with itself (see the log): fix it and push again', 'BuildRecipeInconsistent');
    if (exitCode === 137) throw ApplicationFailure.nonRetryable(`build was killed (exit 137: out of memory at ${limits.memoryMb} MiB?)`, 'BuildFailed');
    if (exitCode !== 0) throw ApplicationFailure.nonRetryable(`build failed with exit code ${exitCode} (see the log)`, 'BuildFailed');

    const results = await takeResults(sandbox, path.join(work, 'out'), log, limits);
    return await storeResults(layout, request, image, key, log, results, durationMs);
  } finally {
    clearTimeout(timer);
    clearInterval(heartbeat);
    hooks.signal?.removeEventListener('abort', abort);
    await sandbox.remove();
  }
}

/**
 * Near the quota: the engine's quota stopped the writes (the build saw ENOSPC or EDQUOT). btrfs counts the image's
 * blocks a little differently from the image size the cap was computed with, so "near" is within 10%.
 */
async function overQuota(sandbox: Sandbox, diskMb: number): Promise<boolean> {
  const written = await sandbox.writtenBytes().catch(() => 0);
  return written >= diskMb * 1048576 * 0.9;
}

async function takeResults(sandbox: Sandbox, into: string, log: BuildLog, limits: Limits): Promise<ExtractedResult[]> {
  try {
    const tar = await sandbox.archive(RESULTS_DIR);
    return await extractResults(tar, path.basename(RESULTS_DIR), into, { maxFiles: MAX_RESULT_FILES, maxBytes: Math.min(limits.diskMb, MAX_RESULT_MB) * 1048576 });
  } catch (err) {
    throw rejected(err, log);
  }
}

async function storeResults(
  layout: DataLayout, request: BuildRequest, image: string, key: string, log: BuildLog, results: ExtractedResult[], durationMs: number,
): Promise<BuildRecord> {
  // Validate everything before anything reaches the store: a rejected build leaves nothing behind.
  const format = formatOf(request.format);
  const io = formatIO(request.format);
  const entries = new Map<string, BuiltPackageEntry>();
  try {
    for (const result of results) {
      if (!format.isResultName(result.name)) throw new ResultRejected(`${result.name} is not a result a ${format.label} build makes`);
      if (!format.isPackageFile(result.name)) continue;
      const entry = await io.readBuiltPackage(result.file).catch((err: unknown) => {
        if (err instanceof ResultRejected) throw new ResultRejected(`${result.name}: ${err.message}`);
        throw new ResultRejected(`${result.name} is not a readable package (${String((err as Error).message ?? err).split('\n')[0]})`);
      });
      io.checkBuiltPackage(result.name, entry, { arch: request.arch, scope: request.scope, version: request.version, binaries: request.binaries });
      entries.set(result.name, entry);
    }
    if (entries.size === 0) throw new ResultRejected(`the build produced no package (${format.label})`);
  } catch (err) {
    throw rejected(err, log);
  }
  const store = new ArtifactStore(layout.store);
  const record: BuildRecord = {
    key,
    spec: {
      tree: request.tree, ...(request.format ? { format: request.format } : {}), suite: request.suite, source: request.source,
      version: request.version, arch: request.arch, scope: request.scope, treeHash: request.treeHash,
    },
    image,
    artifacts: [],
    files: [],
    builtAt: new Date().toISOString(),
    durationMs,
    log: log.file,
  };
  for (const result of results) {
    const stored = await store.add(result.file);
    record.files.push({ name: result.name, sha256: stored.sha256, size: stored.size });
    const entry = entries.get(result.name);
    if (entry) {
      record.artifacts.push({
        file: result.name, sha256: stored.sha256, size: stored.size, package: entry.package, version: entry.version,
        architecture: entry.architecture, stanza: entry.stanza, ...(entry.contents !== undefined ? { contents: entry.contents } : {}),
      });
    }
  }
  await writeJsonAtomic(layout.buildRecord(key), record);
  return record;
}

/** A result the boundary refused is the build's doing: one attempt, one clear error, no retry storm. */
function rejected(err: unknown, log: BuildLog): unknown {
  if (!(err instanceof ResultRejected)) return err;
  log.note(`\n===== kiln: results rejected: ${err.message} =====\n`);
  return ApplicationFailure.nonRetryable(`build results rejected: ${err.message}`, 'BuildResultRejected');
}

function outcome(record: BuildRecord, cached: boolean): BuildOutcome {
  return {
    key: record.key,
    cached,
    durationMs: record.durationMs,
    artifacts: record.artifacts.map(({ stanza: _stanza, contents: _contents, ...artifact }) => artifact),
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });
}
