import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ResultRejected } from '../../domain/formats/result-rejected';
import { formatOf } from '../../domain/formats/registry';
import { DEFAULT_BUILD } from '../../domain/config/defaults';
import { logUrlPath, type UploadedResult } from '../../domain/build-exchange';
import { BuildLog } from './build-log';
import { depsNetwork } from './deps-network';
import { extractResults, type ExtractedResult } from './result-archive';
import { isQuotaUnsupported, Sandbox } from '../docker/sandbox';
import { sha256File } from '../store/artifact-store';
import { requireImage } from '../docker/engine';
import { inArchPersonality } from './personality';
import { checkResults } from './result-check';
import type { BlobClient } from '../exchange/blob-client';
import { LogShipper } from '../exchange/log-shipper';
import type { WorkerCache } from '../exchange/worker-cache';
import type { BuildLimits, BuildRequest, WorkerBuildRequest, WorkerBuildResult } from './build-request';

export type { BuildLimits, BuildRecord, BuildRequest } from './build-request';

/** A build worker's way to Kiln: the API client and its local cache (it shares no disk with the orchestrator). */
export interface WorkerExchange {
  client: BlobClient;
  cache: WorkerCache;
}

export interface BuildHooks {
  signal?: AbortSignal;
  /** Called every few seconds while building: the activity heartbeats here. */
  progress?: (detail: { phase: 'fetching' | 'building' | 'uploading'; logBytes: number }) => void;
}

const EXIT_INFRASTRUCTURE = 75;
const EXIT_DEPENDENCIES = 76;
/** The recipe disagrees with itself (pacman: .SRCINFO is not what the PKGBUILD says). */
const EXIT_RECIPE_INCONSISTENT = 78;
/** Where kiln-build leaves results inside the container. */
const RESULTS_DIR = '/home/builder/out';
const MAX_RESULT_FILES = 200;
const MAX_RESULT_MB = 8192;

/**
 * The build worker's half of a build: fetch the recipe and the WIP view by digest (verified, cached), run the two
 * phases in a fresh sandbox, upload each result and ship the log as it grows. The orchestrator validates and
 * records what it uploaded (`build-record.ts`). The host's side lives in a private work dir of the worker cache,
 * removed whatever happens: nothing the build made (links, setuid files, devices) stays on the host.
 */
export async function runBuild(exchange: WorkerExchange, job: WorkerBuildRequest, hooks: BuildHooks = {}): Promise<WorkerBuildResult> {
  const { request, key, inputs } = job;
  const limits = { ...DEFAULT_BUILD, ...request.limits };
  const work = await exchange.cache.workDir(key.slice(0, 16));
  const logFile = path.join(work, 'build.log');
  const log = new BuildLog(logFile, limits.logMaxMb * 1048576);
  let shipper: LogShipper | undefined;
  try {
    shipper = await LogShipper.start(exchange.client, logUrlPath(job.log), logFile);
    const earlier = await exchange.cache.finished<WorkerBuildResult>(key);
    if (earlier && (await Promise.all(earlier.results.map((r) => exchange.client.has(r.sha256, hooks.signal)))).every(Boolean)) {
      log.note(`kiln: build worker ${os.hostname()} built ${key} already; its answer had not reached Temporal: answering it again\n`);
      await log.close();
      await shipper.finish();
      return earlier;
    }
    await requireImage(inputs.image);
    hooks.progress?.({ phase: 'fetching', logBytes: 0 });
    const recipe = await exchange.cache.recipe(inputs.recipe, hooks.signal, work);
    const binds = [`${recipe}:/src:ro`];
    if (inputs.wip) {
      // This push's WIP lanes for the arch, as the orchestrator froze them: what the build's dependencies were built into.
      const wipView = path.join(work, 'wip');
      await exchange.cache.view(inputs.wip, wipView, hooks.signal);
      binds.push(`${wipView}:/wip:ro`);
    }
    const built = await sandboxedBuild(request, inputs.image, key, log, hooks, binds, work, limits);
    hooks.progress?.({ phase: 'uploading', logBytes: log.size });
    const results: UploadedResult[] = [];
    for (const result of built.results) {
      const ref = { sha256: await sha256File(result.file), size: (await fs.promises.stat(result.file)).size };
      await exchange.client.upload(result.file, ref, hooks.signal);
      results.push({ name: result.name, ...ref });
    }
    await log.close();
    await shipper.finish();
    const answer = { key, results, durationMs: built.durationMs, worker: os.hostname() };
    await exchange.cache.rememberFinished(key, answer);
    return answer;
  } catch (err) {
    await log.close();
    // The log says why the build failed: deliver it before the failure (a lost log fails the attempt, retried);
    // a cancelled build ends cancelled whatever becomes of its last lines.
    if (shipper && hooks.signal?.aborted) await shipper.finish().catch(() => undefined);
    else if (shipper) await shipper.finish();
    throw err;
  } finally {
    shipper?.stop();
    await fs.promises.rm(work, { recursive: true, force: true });
    void exchange.cache.release(work).catch(() => undefined);
  }
}

type Limits = Required<BuildLimits>;

async function sandboxedBuild(
  request: BuildRequest, image: string, key: string, log: BuildLog, hooks: BuildHooks,
  binds: string[], work: string, limits: Limits,
): Promise<{ results: ExtractedResult[]; durationMs: number }> {
  const format = formatOf(request.format);
  const deps = limits.network ? undefined : await depsNetwork();

  const started = Date.now();
  log.note(`\n===== kiln: building ${request.source} ${request.version} for ${request.arch} (scope ${request.scope}) =====\n`);
  log.note(`===== kiln: key ${key}, image ${image}, build worker ${os.hostname()}, ${new Date(started).toISOString()} =====\n`);
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
    inArchPersonality(request.arch, ['/usr/local/bin/kiln-build', name, request.scope, ...(request.withSource ? ['source'] : [])]),
    { user, env, onOutput: (chunk) => log.write(chunk) },
  );
  try {
    let exitCode = await phase('deps', 'root');
    let step: 'deps' | 'build' = 'deps';
    if (exitCode === 0) {
      // Nothing of the privileged phase runs on into the build step: its capabilities and root end here.
      const strays = await sandbox.killStrays().catch((err: unknown) => {
        throw ApplicationFailure.nonRetryable(err instanceof Error ? err.message : String(err), 'BuildFailed');
      });
      if (strays > 0) log.note(`\n===== kiln: killed ${strays} process(es) the dependency phase left running =====\n`);
      if (deps) {
        await sandbox.isolate();
        log.note('\n===== kiln: build step: no network (the container left every network); connections fail =====\n');
      } else {
        log.note('\n===== kiln: build step: WITH network (build.network: true, unsafe) =====\n');
      }
      step = 'build';
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
    // In the build step 75 means its work dir was gone or unusable: only the recipe's own dependencies, run as root
    // just before, could have done that; trying again would only repeat it.
    if (exitCode === EXIT_INFRASTRUCTURE && step === 'build') throw ApplicationFailure.nonRetryable('the build step found its work dir gone or unusable (a build dependency\'s maintainer script?); see the log', 'BuildFailed');
    if (exitCode === EXIT_INFRASTRUCTURE) throw new Error('the build container could not reach the package mirror (apt-get update failed); retrying');
    if (exitCode === EXIT_DEPENDENCIES) throw ApplicationFailure.nonRetryable('build dependencies cannot be installed (see the log)', 'BuildDependenciesMissing');
    if (exitCode === EXIT_RECIPE_INCONSISTENT) throw ApplicationFailure.nonRetryable('the recipe disagrees with itself (see the log): fix it and push again', 'BuildRecipeInconsistent');
    if (exitCode === 137) throw ApplicationFailure.nonRetryable(`build was killed (exit 137: out of memory at ${limits.memoryMb} MiB?)`, 'BuildFailed');
    if (exitCode !== 0) throw ApplicationFailure.nonRetryable(`build failed with exit code ${exitCode} (see the log)`, 'BuildFailed');

    const results = await takeResults(sandbox, path.join(work, 'out'), log, limits);
    // The boundary's checks before anything leaves this machine (a rejected build uploads nothing); the
    // orchestrator checks again what reaches the store.
    try {
      await checkResults(request, results);
    } catch (err) {
      throw rejected(err, log);
    }
    return { results, durationMs };
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

/** A result the boundary refused is the build's doing: one attempt, one clear error, no retry storm. */
function rejected(err: unknown, log: BuildLog): unknown {
  if (!(err instanceof ResultRejected)) return err;
  log.note(`\n===== kiln: results rejected: ${err.message} =====\n`);
  return ApplicationFailure.nonRetryable(`build results rejected: ${err.message}`, 'BuildResultRejected');
}
