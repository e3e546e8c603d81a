import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { debPackageEntry } from '../deb/package-entry';
import { builderImageTag } from '../../domain/builder-image';
import { buildKey } from '../../domain/build-key';
import type { BuildOutcome, BuildSpec, BuiltArtifact } from '../../domain/build';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import { readJsonIfExists, writeJsonAtomic } from '../../domain/atomic-file';
import { ArtifactStore } from '../store/artifact-store';
import { snapshotWip } from '../wip/wip-repo';
import { requireImage } from '../docker/engine';
import { runContainer } from '../docker/run-container';
import { buildOutputFiles } from './build-output';
import { inArchPersonality } from './personality';
import { KeyLock } from './key-lock';

export interface BuildLimits {
  timeoutMinutes: number;
  memoryMb: number;
  cpus: number;
  pids: number;
}

export interface BuildRequest extends BuildSpec {
  push: PushRef;
  limits: BuildLimits;
}

/** What a build leaves on disk, once, under builds/<key>.json: the source of truth that a key was built. */
export interface BuildRecord {
  key: string;
  spec: BuildSpec;
  image: string;
  artifacts: Array<BuiltArtifact & { stanza: string }>;
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

export async function buildPackage(layout: DataLayout, request: BuildRequest, hooks: BuildHooks = {}): Promise<BuildOutcome> {
  const image = builderImageTag(request.suite, request.arch);
  const key = buildKey(request, image);
  const logFile = layout.buildLog(request.push, request.source, request.arch);
  await fs.promises.mkdir(path.dirname(logFile), { recursive: true });
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  let logBytes = 0;
  const write = (text: string | Buffer) => { logBytes += text.length; log.write(text); };
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
          const record = await runBuild(layout, request, image, key, logFile, write, hooks, () => logBytes);
          return outcome(record, false);
        } finally {
          await lock.release();
        }
      }
      // Another push or attempt builds this key right now: share its result rather than build it twice.
      write(`kiln: ${key} is being built elsewhere; waiting for it\n`);
      await sleep(2_000, hooks.signal);
      hooks.progress?.({ phase: 'waiting', logBytes });
    }
  } finally {
    await new Promise<void>((resolve) => log.end(resolve));
  }
}

async function runBuild(
  layout: DataLayout, request: BuildRequest, image: string, key: string, logFile: string,
  write: (text: string | Buffer) => void, hooks: BuildHooks, logBytes: () => number,
): Promise<BuildRecord> {
  await requireImage(image);
  const recipe = layout.recipe(request.tree, request.treeHash);
  if (!fs.existsSync(recipe)) throw new Error(`recipe ${recipe} is missing (the plan exports it before builds start)`);
  const work = layout.buildWork(key);
  const out = path.join(work, 'out');
  await fs.promises.rm(work, { recursive: true, force: true });
  await fs.promises.mkdir(out, { recursive: true });

  const binds = [`${recipe}:/src:ro`, `${out}:/out`];
  // This push's WIP lanes for the arch, frozen as of now: what the build's dependencies were built into.
  const wipView = path.join(work, 'wip');
  if (await snapshotWip(layout, request.push, [request.arch, 'all'], wipView)) binds.push(`${wipView}:/wip:ro`);

  const started = Date.now();
  write(`\n===== kiln: building ${request.source} ${request.version} for ${request.arch} (scope ${request.scope}) =====\n`);
  write(`===== kiln: key ${key}, image ${image}, ${new Date(started).toISOString()} =====\n`);
  const heartbeat = setInterval(() => hooks.progress?.({ phase: 'building', logBytes: logBytes() }), 5_000);
  let result;
  try {
    result = await runContainer({
      image,
      cmd: inArchPersonality(request.arch, ['/usr/local/bin/kiln-build', request.scope]),
      env: { DEB_BUILD_OPTIONS: `parallel=${Math.max(1, Math.floor(request.limits.cpus))}` },
      binds,
      limits: { memoryMb: request.limits.memoryMb, cpus: request.limits.cpus, pids: request.limits.pids },
      labels: { 'org.kiln.build-key': key, 'org.kiln.worker-pid': String(process.pid), 'org.kiln.worker-host': os.hostname() },
      timeoutMs: request.limits.timeoutMinutes * 60_000,
      signal: hooks.signal,
      onOutput: write,
    });
  } finally {
    clearInterval(heartbeat);
  }
  const durationMs = Date.now() - started;
  write(`\n===== kiln: exit ${result.exitCode}${result.timedOut ? ' (timed out)' : ''} after ${(durationMs / 1000).toFixed(1)} s =====\n`);

  if (result.timedOut) {
    throw ApplicationFailure.nonRetryable(`build timed out after ${request.limits.timeoutMinutes} min`, 'BuildTimedOut');
  }
  if (result.exitCode === EXIT_INFRASTRUCTURE) {
    throw new Error('the build container could not reach the package mirror (apt-get update failed); retrying');
  }
  if (result.exitCode === EXIT_DEPENDENCIES) {
    throw ApplicationFailure.nonRetryable('build dependencies cannot be installed (see the log)', 'BuildDependenciesMissing');
  }
  if (result.exitCode === 137) {
    throw ApplicationFailure.nonRetryable(`build was killed (exit 137: out of memory at ${request.limits.memoryMb} MiB?)`, 'BuildFailed');
  }
  if (result.exitCode !== 0) {
    throw ApplicationFailure.nonRetryable(`build failed with exit code ${result.exitCode} (see the log)`, 'BuildFailed');
  }

  const store = new ArtifactStore(layout.store);
  const record: BuildRecord = {
    key,
    spec: { tree: request.tree, suite: request.suite, source: request.source, version: request.version, arch: request.arch, scope: request.scope, treeHash: request.treeHash },
    image,
    artifacts: [],
    files: [],
    builtAt: new Date().toISOString(),
    durationMs,
    log: logFile,
  };
  for (const name of await buildOutputFiles(out)) {
    const file = path.join(out, name);
    const stored = await store.add(file);
    record.files.push({ name, sha256: stored.sha256, size: stored.size });
    if (name.endsWith('.deb')) {
      const entry = await debPackageEntry(file);
      record.artifacts.push({ file: name, sha256: stored.sha256, size: stored.size, package: entry.package, version: entry.version, architecture: entry.architecture, stanza: entry.stanza });
    }
  }
  if (record.artifacts.length === 0) throw ApplicationFailure.nonRetryable('the build produced no .deb', 'BuildFailed');
  await writeJsonAtomic(layout.buildRecord(key), record);
  await fs.promises.rm(work, { recursive: true, force: true });
  return record;
}

function outcome(record: BuildRecord, cached: boolean): BuildOutcome {
  return {
    key: record.key,
    cached,
    durationMs: record.durationMs,
    artifacts: record.artifacts.map(({ stanza: _stanza, ...artifact }) => artifact),
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });
}
