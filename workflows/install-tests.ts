import {
  ActivityCancellationType, ActivityFailure, ApplicationFailure, CancellationScope, patched, proxyActivities,
} from '@temporalio/workflow';
import { isSourceArtifact } from '../domain/build';
import type { BuildActivities } from '../activities/build-activities';
import type { InstallTestRequest } from '../activities/install-test/install-test';
import type { OrchestratorActivities } from '../activities/orchestrator-activities';
import { ORCHESTRATOR_TASK_QUEUE } from '../domain/task-queues';
import type { BuildStatus } from '../domain/build-graph';
import type { InstallTestStatus, InstallTestSummary } from '../domain/install-test';
import type { Plan } from '../domain/push';
import { buildTaskQueue } from '../domain/task-queues';
import { describeFailure, isCancellation } from './lib/failures';
import type { RetryRequest } from './messages';

/**
 * The push's "install test" stage, inside the push workflow: once every build succeeded, one install test per build
 * (its packages installed, its recipe's tests run, on the build's arch, at most `concurrency` at a time per arch).
 * The push publishes only when all passed; a failed one waits for `retry`, as a failed build does.
 */
export class InstallTestStage {
  private readonly tests: Map<string, InstallTestStatus>;
  private readonly running = new Map<string, CancellationScope>();
  private begun: boolean;

  constructor(carried: readonly InstallTestStatus[] | undefined, private readonly changed: () => void) {
    // A test that ran when the workflow continued as new never reported back: it runs again.
    this.tests = new Map((carried ?? []).map((t) => [t.id, t.state === 'testing' ? { ...t, state: 'waiting' } : t]));
    this.begun = carried !== undefined;
  }

  /** The push reached the stage (a push that builds nothing reaches it with no tests, and passes it at once). */
  get started(): boolean { return this.begun; }
  get busy(): boolean { return this.running.size > 0; }

  statuses(): InstallTestStatus[] {
    return [...this.tests.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Every build of the plan gets its install test, waiting. */
  begin(plan: Plan): void {
    this.begun = true;
    for (const b of plan.builds) this.tests.set(b.id, { id: b.id, source: b.source, arch: b.arch, state: 'waiting', attempt: 1 });
  }

  passed(): boolean { return this.started && [...this.tests.values()].every((t) => t.state === 'passed'); }

  /** Nothing runs or waits, and something failed: the push waits for retry or cancel. */
  failed(): boolean {
    const all = [...this.tests.values()];
    return all.some((t) => t.state === 'failed' || t.state === 'cancelled') && all.every((t) => t.state !== 'waiting' && t.state !== 'testing');
  }

  /** Failed (or cancelled) tests matching the request run again; true if any will. */
  retry(request: RetryRequest): boolean {
    let any = false;
    for (const t of this.tests.values()) {
      if (t.state !== 'failed' && t.state !== 'cancelled') continue;
      if ((request.source && request.source !== t.source) || (request.arch && request.arch !== t.arch)) continue;
      this.tests.set(t.id, { id: t.id, source: t.source, arch: t.arch, state: 'waiting', attempt: t.attempt + 1 });
      any = true;
    }
    return any;
  }

  /** Start waiting tests, up to the plan's concurrency per arch. */
  launch(plan: Plan, builds: ReadonlyMap<string, BuildStatus>, now: () => number): void {
    const perArch = new Map<string, number>();
    for (const id of this.running.keys()) {
      const arch = this.tests.get(id)!.arch;
      perArch.set(arch, (perArch.get(arch) ?? 0) + 1);
    }
    for (const test of this.statuses()) {
      if (test.state !== 'waiting' || this.running.has(test.id)) continue;
      if ((perArch.get(test.arch) ?? 0) >= plan.limits.concurrency) continue;
      perArch.set(test.arch, (perArch.get(test.arch) ?? 0) + 1);
      void this.run(plan, test, builds.get(test.id), now);
    }
  }

  /** Stop every running test (cancel, supersede); their containers are removed before they report. */
  cancelAll(): void {
    for (const scope of this.running.values()) scope.cancel();
  }

  private async run(plan: Plan, test: InstallTestStatus, build: BuildStatus | undefined, now: () => number): Promise<void> {
    const planned = plan.builds.find((b) => b.id === test.id)!;
    const scope = new CancellationScope();
    this.running.set(test.id, scope);
    this.tests.set(test.id, { ...test, state: 'testing', startedAt: now(), finishedAt: undefined, error: undefined, summary: undefined });
    this.changed();
    try {
      const request: InstallTestRequest = {
        push: plan.push, ...(plan.format ? { format: plan.format } : {}), suite: plan.suite, tree: plan.push.tree, treeHash: planned.treeHash,
        source: planned.source, version: planned.version, arch: planned.arch, ...(build?.key ? { key: build.key } : {}),
        packages: (build?.artifacts ?? []).filter((a) => !isSourceArtifact(a)).map((a) => ({ package: a.package, version: a.version })),
        ...(planned.binaries ? { binaries: planned.binaries } : {}), limits: plan.limits,
      };
      // Pushes that reached this stage before it went through the blob exchange replay (and end) as they were.
      const summary = patched('install-tests-through-blobs')
        ? await scope.run(() => testOnce(planned.arch, plan, request))
        : await scope.run(() => (activitiesFor(planned.arch, plan).installTest as unknown as (r: InstallTestRequest) => Promise<InstallTestSummary>)(request));
      this.finish(test.id, { state: 'passed', summary }, now);
    } catch (err) {
      if (isCancellation(err)) this.finish(test.id, { state: 'cancelled' }, now);
      else this.finish(test.id, { state: 'failed', error: describeFailure(err), summary: summaryOf(err) }, now);
    } finally {
      this.running.delete(test.id);
      this.changed();
    }
  }

  private finish(id: string, outcome: Partial<InstallTestStatus>, now: () => number): void {
    const t = this.tests.get(id)!;
    this.tests.set(id, { ...t, ...outcome, finishedAt: now() });
  }
}

/** The orchestrator readies the inputs (or finds the key passed before), a build worker tests, the orchestrator records. */
async function testOnce(arch: string, plan: Plan, request: InstallTestRequest): Promise<InstallTestSummary> {
  const prepared = await orchestrator.prepareInstallTest(request);
  if ('passedBefore' in prepared) return prepared.passedBefore;
  const summary = await activitiesFor(arch, plan).runInstallTest(prepared.job);
  await orchestrator.recordInstallTest({ request, summary });
  return summary;
}

const orchestrator = proxyActivities<OrchestratorActivities>({
  taskQueue: ORCHESTRATOR_TASK_QUEUE,
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});

function activitiesFor(arch: string, plan: Plan) {
  return proxyActivities<BuildActivities>({
    taskQueue: buildTaskQueue(arch),
    startToCloseTimeout: `${plan.limits.timeoutMinutes + 10} minutes`,
    // A killed build worker is noticed by its missing heartbeats (sent every 5 s) within a minute; a minute also lets
    // a build ride out a Temporal restart (the worker cancels an activity it cannot heartbeat for that long).
    heartbeatTimeout: '60 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 30 },
  });
}

/** The activity's summary of what ran, sent along with its failure. */
function summaryOf(err: unknown): InstallTestSummary | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const summary = cause.details?.[0] as InstallTestSummary | undefined;
  return summary && Array.isArray(summary.failed) ? summary : undefined;
}
