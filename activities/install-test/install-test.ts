import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { DeclaredBinary } from '../../domain/build';
import { builderImageTag } from '../../domain/builder-image';
import { DEFAULT_BUILD } from '../../domain/config/defaults';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import { logUrlPath, type BuildInputs } from '../../domain/build-exchange';
import { KilnError } from '../../domain/errors';
import { readJsonIfExists, writeJsonAtomic } from '../../domain/atomic-file';
import type { FormatId } from '../../domain/formats/format';
import { formatOf } from '../../domain/formats/registry';
import type { InstallTestCase, InstallTestSummary } from '../../domain/install-test';
import { BuildLog } from '../builder/build-log';
import type { BuildLimits } from '../builder/build-request';
import { appendLog } from '../builder/build-record';
import type { WorkerExchange } from '../builder/build-package';
import { recipeArchive } from '../exchange/recipe-archive';
import { wipView } from '../exchange/wip-view';
import { LogShipper } from '../exchange/log-shipper';
import { depsNetwork, type DepsNetwork } from '../builder/deps-network';
import { inArchPersonality } from '../builder/personality';
import { requireImage } from '../docker/engine';
import { Sandbox } from '../docker/sandbox';
import { formatIO } from '../formats/registry';
import { publishedLane } from '../wip/published-lanes';

export interface InstallTestRequest {
  push: PushRef;
  format?: FormatId;
  suite: string;
  tree: string;
  treeHash: string;
  source: string;
  version: string;
  arch: string;
  /** The build's key: a key that passed once is not tested again. */
  key?: string;
  /** The packages this build made, as its record names them. */
  packages: Array<{ package: string; version: string }>;
  /** The recipe's declared binary packages: its arch-independent ones count for `@` on every arch. */
  binaries?: DeclaredBinary[];
  limits: BuildLimits;
}

export interface InstallTestHooks {
  signal?: AbortSignal;
  progress?: (detail: { phase: 'install-test'; step: string }) => void;
}

const EXIT_INFRASTRUCTURE = 75;
const EXIT_SKIPPED = 77;
const SCRIPT = '/usr/local/bin/kiln-install-test';

/** Thrown inside: the container is gone (killed on timeout, log cut or cancel); why is in `stopped`. */
class Stopped extends Error {}

/** What preparing an install test finds: the key passed once already, or the inputs of the test to run. */
export type PreparedInstallTest =
  | { passedBefore: InstallTestSummary }
  | { job: { request: InstallTestRequest; inputs: BuildInputs } };

/** The orchestrator's half, before: a key that passed is not tested again; else the inputs, by digest. */
export async function prepareInstallTest(layout: DataLayout, request: InstallTestRequest): Promise<PreparedInstallTest> {
  const earlier = request.key ? await readJsonIfExists<TestRecord>(layout.installTestRecord(request.key)) : undefined;
  if (earlier) {
    await appendLog(layout, request, `\n===== kiln: install test of ${request.source} ${request.version} on ${request.arch}: build ${request.key} passed it at ${earlier.passedAt}; not run again =====\n`);
    return { passedBefore: { ...earlier.summary, passedBefore: earlier.passedAt } };
  }
  const format = formatOf(request.format);
  const recipe = await recipeArchive(layout, request.tree, request.treeHash);
  const wip = await wipView(layout, request.push, [request.arch, format.archIndependent, publishedLane(request.arch)]);
  const image = builderImageTag(request.suite, request.arch, undefined, request.format);
  return { job: { request, inputs: { image, recipe, ...(wip ? { wip } : {}) } } };
}

/** The orchestrator's half, after: the key passed (kept under install-tests/<key>.json). */
export async function recordInstallTest(layout: DataLayout, request: InstallTestRequest, summary: InstallTestSummary): Promise<void> {
  if (request.key) await writeJsonAtomic(layout.installTestRecord(request.key), { key: request.key, passedAt: new Date().toISOString(), summary } satisfies TestRecord);
}

/**
 * Install-test one build: each of its packages into a fresh container of the tree's builder image, from this push's
 * WIP repository with its runtime dependencies; then each test of the recipe in a fresh container of its own, its
 * dependencies installed first and the test run with no network, as the unprivileged user (root only for
 * needs-root: then with the few capabilities the container keeps for package installation, and no network). Appends to the build's log. Resolves with what ran when everything
 * passed; throws InstallTestFailed (not retried: the same packages fail the same way) with the summary otherwise.
 */
export async function runInstallTest(
  exchange: WorkerExchange, { request, inputs }: { request: InstallTestRequest; inputs: BuildInputs }, hooks: InstallTestHooks = {},
): Promise<InstallTestSummary> {
  const limits = { ...DEFAULT_BUILD, ...request.limits };
  const format = formatOf(request.format);
  const io = formatIO(request.format);
  const image = inputs.image;
  const work = await exchange.cache.workDir(`install-test-${workId(request)}`);
  const logFile = path.join(work, 'build.log');
  const log = new BuildLog(logFile, limits.logMaxMb * 1048576);
  let shipper: LogShipper | undefined;
  const summary: InstallTestSummary = { installed: [], passed: [], failed: [], skipped: [] };
  let stopped: 'timeout' | 'log' | 'cancelled' | undefined;
  let current: Sandbox | undefined;
  const stop = (why: NonNullable<typeof stopped>) => { stopped ??= why; current?.kill(); };
  const timer = setTimeout(() => stop('timeout'), limits.timeoutMinutes * 60_000);
  const abort = () => stop('cancelled');
  hooks.signal?.addEventListener('abort', abort, { once: true });
  log.onLimit = () => stop('log');
  try {
    shipper = await LogShipper.start(exchange.client, logUrlPath(request), logFile);
    log.note(`\n===== kiln: install test of ${request.source} ${request.version} on ${request.arch}, build worker ${os.hostname()}, ${new Date().toISOString()} =====\n`);
    await requireImage(image);
    const recipe = await exchange.cache.recipe(inputs.recipe, hooks.signal, work);

    const tested = request.packages.filter((p) => format.installTested(p.package));
    const binaries = [...new Set([
      ...tested.map((p) => p.package),
      ...(request.binaries ?? []).filter((b) => b.all && format.installTested(b.name)).map((b) => b.name),
    ])];
    let plan;
    try {
      plan = await io.installTestPlan(recipe, { binaries });
    } catch (err) {
      if (!(err instanceof KilnError)) throw err;
      log.note(`===== kiln: the recipe's tests cannot be read: ${err.message} =====\n`);
      throw ApplicationFailure.create({ message: `the recipe's tests cannot be read: ${err.message}`, type: 'InstallTestInvalid', nonRetryable: true, details: [summary] });
    }
    for (const p of request.packages.filter((x) => !tested.includes(x))) log.note(`===== kiln: ${p.package}: debug symbols, not install-tested =====\n`);
    for (const s of plan.skipped) {
      summary.skipped.push(s);
      log.note(`===== kiln: test ${s.name} skipped: ${s.reason} =====\n`);
    }
    log.note(`===== kiln: ${tested.length} package(s) to install one by one, ${plan.tests.length} test(s): ${plan.tests.map((t) => t.name).join(', ') || 'none'} =====\n`);

    const binds = [`${recipe}:/src:ro`];
    if (inputs.wip) {
      const view = path.join(work, 'wip');
      await exchange.cache.view(inputs.wip, view, hooks.signal);
      binds.push(`${view}:/wip:ro`);
    }
    const deps = limits.network ? undefined : await depsNetwork();

    /** One fresh container: set up its repositories, then run `steps` in it; removed whatever happens. */
    const inContainer = async (what: string, steps: (run: StepRunner) => Promise<void>) => {
      if (stopped) throw new Stopped();
      hooks.progress?.({ phase: 'install-test', step: what });
      const sandbox = await Sandbox.create({
        image, binds, network: deps ? deps.name : 'bridge',
        memoryMb: limits.memoryMb, cpus: limits.cpus, pids: limits.pids, diskMb: limits.diskMb,
        labels: { 'org.kiln.install-test': `${request.source}/${request.arch}`, 'org.kiln.worker-pid': String(process.pid), 'org.kiln.worker-host': os.hostname() },
      });
      current = sandbox;
      try {
        const run = stepRunner(sandbox, request.arch, log, deps, () => stopped);
        const setup = await run(['setup'], 'root');
        if (setup !== 0) throw new Error(`the install test's container could not set up its repositories (exit ${setup}); retrying`);
        await steps(run);
      } finally {
        current = undefined;
        await sandbox.remove();
      }
    };

    for (const p of tested) {
      const target = format.installTarget(p.package, p.version);
      // A package that does not install fails the same way twice; a hiccup of the mirror or the engine seldom does.
      // So a failed install is tried once more in another fresh container before it fails the push.
      for (let attempt = 1; attempt <= 2; attempt++) {
        let code = 0;
        await inContainer(`installing ${target}${attempt > 1 ? ' (second try)' : ''}`, async (run) => {
          log.note(`\n===== kiln: install test: ${target} in a fresh container${attempt > 1 ? ' (second try)' : ''} =====\n`);
          code = await run(['install', target], 'root');
        });
        if (code === 0) {
          summary.installed.push(p.package);
          if (attempt > 1) log.note(`===== kiln: ${target} installed on the second try: the first failure was not the package's to repeat =====\n`);
          break;
        }
        if (attempt === 2) summary.failed.push(`${p.package} (does not install)`);
        else log.note(`===== kiln: ${target} did not install (exit ${code}); trying once more in a fresh container =====\n`);
      }
    }
    for (const test of plan.tests) {
      await inContainer(`test ${test.name}`, async (run) => {
        log.note(`\n===== kiln: test ${test.name} in a fresh container =====\n`);
        const outcome = await runTest(run, test, deps, log);
        if (outcome === 'passed') summary.passed.push(test.name);
        else if (outcome === 'skipped') summary.skipped.push({ name: test.name, reason: 'the test skipped itself (exit 77)' });
        else summary.failed.push(test.flaky ? `${test.name} (flaky)` : test.name);
      });
    }
    if (log.error) throw new Error(`cannot write the build log (${log.error.message}); retrying`);
    const failed = summary.failed.filter((f) => !f.endsWith('(flaky)'));
    log.note(`\n===== kiln: install test ${failed.length === 0 ? 'passed' : 'FAILED'}: installed ${summary.installed.join(', ') || 'nothing'}; tests passed ${summary.passed.join(', ') || 'none'}${summary.failed.length ? `; failed ${summary.failed.join(', ')}` : ''}${summary.skipped.length ? `; skipped ${summary.skipped.map((s) => s.name).join(', ')}` : ''} =====\n`);
    if (failed.length > 0) {
      throw ApplicationFailure.create({ message: `install test failed: ${failed.join(', ')} (see the log)`, type: 'InstallTestFailed', nonRetryable: true, details: [summary] });
    }
    await log.close();
    await shipper.finish();
    return summary;
  } catch (err) {
    await log.close();
    if (shipper) await shipper.finish().catch((shipping: unknown) => { if (!hooks.signal?.aborted && !stopped) throw shipping; });
    if (stopped === 'cancelled' || hooks.signal?.aborted) throw hooks.signal?.reason ?? err;
    if (stopped === 'timeout') {
      log.note(`\n===== kiln: install test timed out after ${limits.timeoutMinutes} min =====\n`);
      throw ApplicationFailure.create({ message: `install test timed out after ${limits.timeoutMinutes} min`, type: 'InstallTestTimedOut', nonRetryable: true, details: [summary] });
    }
    if (stopped === 'log') throw ApplicationFailure.create({ message: `the install test's log went over ${limits.logMaxMb} MiB (build.logMaxMb)`, type: 'BuildLogTooLarge', nonRetryable: true, details: [summary] });
    throw err;
  } finally {
    clearTimeout(timer);
    hooks.signal?.removeEventListener('abort', abort);
    shipper?.stop();
    await fs.promises.rm(work, { recursive: true, force: true });
    // What the test held in the worker cache (its recipe, its view's blobs) may go now; the cache trims to its limit.
    await exchange.cache.release(work);
  }
}

/** A build key's passed install test, kept under install-tests/<key>.json. */
interface TestRecord {
  key: string;
  passedAt: string;
  summary: InstallTestSummary;
}

interface StepRunner {
  (args: string[], user: string, env?: Record<string, string>): Promise<number>;
  /** Kill what the privileged setup left running, then take every network away (the test itself runs offline). */
  endDependencyPhase(isolate: boolean): Promise<void>;
}

/** Runs kiln-install-test steps in one container; infrastructure exits are retried, a stopped container ends it. */
function stepRunner(sandbox: Sandbox, arch: string, log: BuildLog, deps: DepsNetwork | undefined, stopped: () => string | undefined): StepRunner {
  const run = async (args: string[], user: string, env: Record<string, string> = {}) => {
    const code = await sandbox.exec(inArchPersonality(arch, [SCRIPT, ...args]), {
      user, env: { ...(deps ? { KILN_APT_PROXY: deps.proxyUrl } : {}), ...env }, onOutput: (chunk) => log.write(chunk),
    });
    if (stopped()) throw new Stopped();
    if (code === EXIT_INFRASTRUCTURE) throw new Error(`kiln-install-test ${args[0]} hit an infrastructure problem (exit 75, see the log); retrying`);
    return code;
  };
  return Object.assign(run, {
    endDependencyPhase: async (isolate: boolean) => {
      // As for a build: no root daemon a maintainer script started lives on into the test.
      const strays = await sandbox.killStrays();
      if (strays > 0) log.note(`===== kiln: killed ${strays} process(es) the dependency installation left running =====\n`);
      if (isolate) await sandbox.isolate();
    },
  });
}

async function runTest(run: StepRunner, test: InstallTestCase, deps: DepsNetwork | undefined, log: BuildLog): Promise<'passed' | 'failed' | 'skipped'> {
  if (test.depends.length > 0 && await run(['depends', ...test.depends], 'root') !== 0) return 'failed';
  if (test.builddeps && await run(['builddeps'], 'root') !== 0) return 'failed';
  // Offline from here, as builds are: what the test needs was installed above.
  await run.endDependencyPhase(!!deps);
  if (!deps) log.note('===== kiln: test WITH network (build.network: true, unsafe) =====\n');
  const env: Record<string, string> = {};
  if (test.allowStderr) env.KILN_TEST_ALLOW_STDERR = '1';
  if (test.skippable) env.KILN_TEST_SKIPPABLE = '1';
  const code = await run(['run', test.kind, test.run], test.asRoot ? 'root' : 'builder', env);
  if (code === 0) return 'passed';
  if (code === EXIT_SKIPPED && test.skippable) return 'skipped';
  return 'failed';
}

function workId(request: InstallTestRequest): string {
  const { tree, branch, commit } = request.push;
  return crypto.createHash('sha256').update([tree, branch, commit, request.source, request.arch].join('\0')).digest('hex').slice(0, 32);
}
