import {
  ActivityCancellationType, CancellationScope, ChildWorkflowCancellationType, condition, continueAsNew, executeChild,
  getExternalWorkflowHandle, patched, proxyActivities, proxyLocalActivities, setHandler, sleep, workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { BuildRequest } from '../activities/builder/build-request';
import type { BuildOutcome } from '../domain/build';
import { buildWorkflowId } from '../domain/workflow-ids';
import { buildWorkflow } from './build';
import type { BuildActivities } from '../activities/build-activities';
import type { OrchestratorActivities } from '../activities/orchestrator-activities';
import { BuildGraph, type PlannedBuild } from '../domain/build-graph';
import { buildIdentity, type ArchBuildInput, type ArchBuildResult } from '../domain/push';
import { buildTaskQueue, ORCHESTRATOR_TASK_QUEUE } from '../domain/task-queues';
import { describeFailure, isCancellation } from './lib/failures';
import { LOCAL_ORCHESTRATOR_ACTIVITIES } from './lib/patches';
import {
  archStateSignal, archStatusQuery, buildsChangedSignal, externalBuildSignal, retrySignal, supersedeSignal,
} from './messages';

type ArchState = 'building' | 'failed' | 'succeeded' | 'cancelled' | 'superseded';

/**
 * One architecture of a push: runs its build DAG with a concurrency cap, adds each success to the push's WIP
 * repository, reports every build state to the push workflow, and when builds fail waits for `retry` (or for
 * cancellation, or for a newer push to supersede it) instead of ending.
 */
export async function archBuildWorkflow(input: ArchBuildInput): Promise<ArchBuildResult> {
  const { push, arch, limits } = input;
  const graph = new BuildGraph(input.builds, input.snapshot, input.external);
  const parent = getExternalWorkflowHandle(input.parentWorkflowId);
  const { buildPackage } = proxyActivities<BuildActivities>({
    taskQueue: buildTaskQueue(arch),
    startToCloseTimeout: `${limits.timeoutMinutes + 10} minutes`,
    // A killed build worker is noticed by its missing heartbeats (sent every 5 s), and the build starts again.
    heartbeatTimeout: '20 seconds',
    // Cancelled means the container is gone: wait for the activity to kill and remove it, not just ask.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 30 },
  });
  const { addToWip, prepareBuild } = proxyActivities<OrchestratorActivities>({
    taskQueue: ORCHESTRATOR_TASK_QUEUE,
    // It beats every 2 s: a killed orchestrator's attempt is retried within 10 s, however long a big index takes.
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
  });
  // The same two, run by the orchestrator worker inside this workflow's task: no trip through a task queue and no
  // workflow task of their own, two of a build's six hand-offs. Both are idempotent, as a local activity must be (a
  // task that ran one and then failed runs it again). Pushes that began with them as activities replay as they ran.
  const local = proxyLocalActivities<OrchestratorActivities>({
    startToCloseTimeout: '15 minutes',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
  });
  const orchestrator = () => (patched(LOCAL_ORCHESTRATOR_ACTIVITIES) ? local : { addToWip, prepareBuild });

  let stopping = input.stopping ? new Set(input.stopping.wanted) : undefined;
  const inFlight = new Map<string, CancellationScope>();
  let version = 0; // bumped by anything that can let the loop make progress
  const poke = () => { version++; };

  setHandler(archStatusQuery, () => graph.statuses());
  setHandler(retrySignal, ({ source, arch: only }) => {
    if (only && only !== arch) return;
    graph.retry(source ? [`${source}/${arch}`] : undefined);
    poke();
  });
  setHandler(externalBuildSignal, ({ id, state }) => { graph.setExternal(id, state); poke(); });
  setHandler(supersedeSignal, ({ wanted }) => {
    stopping = new Set(wanted);
    // Builds the newer push wants run to the end (it will reuse them); the others stop now.
    for (const [id, scope] of inFlight) if (!stopping.has(buildIdentity(graph.get(id)!))) scope.cancel();
    poke();
  });

  async function runBuild(build: PlannedBuild): Promise<void> {
    graph.start(build.id, Date.now());
    const scope = new CancellationScope();
    inFlight.set(build.id, scope);
    try {
      const request: BuildRequest = {
        push, ...(input.format ? { format: input.format } : {}), suite: input.suite, tree: push.tree, source: build.source, version: build.version, arch,
        scope: build.scope, treeHash: build.treeHash, limits, ...(build.binaries ? { binaries: build.binaries } : {}),
        ...(build.withSource ? { withSource: true } : {}),
      };
      // Pushes that began before builds went through the blob exchange replay (and end) as they were.
      const outcome = patched('builds-through-blobs')
        ? await scope.run(() => buildOnce(request, (note) => { graph.note(build.id, note); poke(); }))
        : await scope.run(() => (buildPackage as unknown as (r: BuildRequest) => Promise<BuildOutcome>)(request));
      await CancellationScope.nonCancellable(() => orchestrator().addToWip({ push, keys: [outcome.key] }));
      graph.succeed(build.id, Date.now(), { key: outcome.key, cached: outcome.cached, artifacts: outcome.artifacts });
    } catch (err) {
      if (isCancellation(err)) graph.cancel(build.id, Date.now());
      else graph.fail(build.id, Date.now(), describeFailure(err));
    } finally {
      inFlight.delete(build.id);
      poke();
    }
  }

  /**
   * A key is built by its own workflow, `build/<key>`: when another push builds it right now, wait (with backoff) and
   * look again; once it is recorded, it is this push's too.
   */
  async function buildOnce(request: BuildRequest, note: (text: string | undefined) => void): Promise<BuildOutcome> {
    let looks = 0;
    let pause = 5;
    let diskWaits = 0;
    for (;;) {
      // The log says once that the build waits for another push's.
      const prepared = await orchestrator().prepareBuild({ request, waiting: looks === 1, ...(diskWaits > 0 ? { diskWaits } : {}) });
      if (prepared.cached) return prepared.outcome;
      if ('lowDisk' in prepared) {
        // The data dir is below build.minFreeMb: not a failure, a wait, shown on the build until there is room.
        note(`waiting for disk space: the data dir has ${prepared.lowDisk.freeMb} MiB free, below build.minFreeMb (${prepared.lowDisk.minFreeMb} MiB)`);
        diskWaits++;
        await sleep('30 seconds');
        continue;
      }
      if (diskWaits > 0) { note(undefined); diskWaits = 0; }
      looks++;
      try {
        return await executeChild(buildWorkflow, {
          workflowId: buildWorkflowId(prepared.key),
          args: [{ request, job: prepared.build }],
          cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      await sleep(`${pause} seconds`);
      pause = Math.min(pause * 2, 60);
    }
  }

  let reported: ArchState | undefined;
  const sent = new Map<string, string>();
  async function report(state?: ArchState): Promise<void> {
    // Only statuses that differ from what the parent has: a finished build can block or unblock its dependents.
    const delta = graph.statuses().filter((s) => {
      const text = JSON.stringify(s);
      if (sent.get(s.id) === text) return false;
      sent.set(s.id, text);
      return true;
    });
    if (delta.length > 0) await parent.signal(buildsChangedSignal, delta).catch(() => undefined);
    if (state && state !== reported) {
      reported = state;
      await parent.signal(archStateSignal, { arch, state }).catch(() => undefined);
    }
  }

  try {
    for (;;) {
      // Taken before any await below: a build finishing during them must wake the next iteration.
      const seen = version;
      const cutHistory = workflowInfo().continueAsNewSuggested;
      while (!stopping && !cutHistory && inFlight.size < limits.concurrency) {
        const next = graph.ready().find((b) => !inFlight.has(b.id));
        if (!next) break;
        void runBuild(next);
      }
      const state: ArchState = graph.complete() ? 'succeeded' : graph.stuck() ? 'failed' : 'building';
      // Pushes that ran before this fix replay as they ran (both changes below are behind it).
      const endsOnReported = patched('arch-ends-on-reported-state');
      // A complete arch says so even when a newer push is stopping it: the push waits for every arch's final state.
      await report(stopping && inFlight.size === 0 && !(endsOnReported && state === 'succeeded') ? undefined : state);
      // End on the state just reported, not on the graph now: the last build may have finished while report() awaited
      // its signals, and ending then left the push without that build's status and without `succeeded`, waiting
      // forever (found by the orchestration benchmark; the cause of pushes that built everything and never
      // published). The next turn reports it, then ends.
      if (endsOnReported ? state === 'succeeded' : graph.complete()) return { arch, outcome: 'succeeded' };
      if (stopping && inFlight.size === 0) {
        await report('superseded');
        return { arch, outcome: 'superseded' };
      }
      if (cutHistory && inFlight.size === 0) {
        await continueAsNew<typeof archBuildWorkflow>({
          ...input, snapshot: graph.snapshot(), external: graph.externalStates(),
          stopping: stopping ? { wanted: [...stopping] } : undefined,
        });
      }
      await condition(() => version !== seen);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled: every in-flight build was cancelled with us (their containers are killed); record that, then end.
    await CancellationScope.nonCancellable(async () => {
      await condition(() => inFlight.size === 0);
      for (const b of input.builds) graph.cancel(b.id, Date.now());
      await report('cancelled');
    });
    throw err;
  }
}
