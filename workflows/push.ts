import {
  CancellationScope, ParentClosePolicy, condition, continueAsNew, getExternalWorkflowHandle, patched, proxyActivities,
  setHandler, startChild, workflowInfo, WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { OrchestratorActivities } from '../activities/orchestrator-activities';
import type { BuildStatus } from '../domain/build-graph';
import {
  buildIdentity, buildLogPath, isWebhookRequester, type ArchSummary, type Plan, type PushInput, type PushResult, type PushState, type PushStatus,
} from '../domain/push';
import { archWorkflowId, branchWorkflowId } from '../domain/workflow-ids';
import { ORCHESTRATOR_TASK_QUEUE } from '../domain/task-queues';
import { archBuildWorkflow } from './arch-builds';
import { InstallTestStage } from './install-tests';
import { isCancellation } from './lib/failures';
import { ReportQueue } from './lib/report-queue';
import { REPORTED_FAILURES, REPORT_ATTEMPTS, type PushReport, type PushReportEvent } from '../domain/report/push-report';
import type { PublishResult } from '../domain/publish/publish';
import {
  archStateSignal, buildsChangedSignal, cancelSignal, externalBuildSignal, publishFinishedSignal, publishRequestedSignal,
  pushFinishedSignal, pushStatusQuery, retrySignal, supersedeSignal, type RetryRequest, type SupersedeRequest,
} from './messages';

/** What a push carries over continue-as-new. */
interface PushCarry {
  plan: Plan;
  status: PushStatus;
  publishRequested?: boolean;
}

const { planPush } = proxyActivities<OrchestratorActivities>({
  taskQueue: ORCHESTRATOR_TASK_QUEUE,
  startToCloseTimeout: '30 minutes',
  // It beats every 10 s (and at each step): a killed orchestrator's planning is retried within half a minute.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});

// Writing one JSON file: a killed orchestrator's attempt is retried within seconds, not after a long timeout.
const { writePushRecord } = proxyActivities<OrchestratorActivities>({
  taskQueue: ORCHESTRATOR_TASK_QUEUE,
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

// Commit statuses and notifications: retried over a few minutes, never failing the push (ReportQueue).
const { reportPush } = proxyActivities<OrchestratorActivities>({
  taskQueue: ORCHESTRATOR_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: REPORT_ATTEMPTS },
});

/** The report a change of the push's state makes, if any. */
function reportEvent(from: PushState, to: PushState): PushReportEvent | undefined {
  if (to === 'failed') return 'failed';
  if (to === 'succeeded') return 'published';
  if (to === 'cancelled' || to === 'superseded') return to;
  // A retry: the push builds (or tests) again after it had failed.
  if (from === 'failed' && (to === 'building' || to === 'testing')) return 'running';
  return undefined;
}

/**
 * One push of one branch: plan what it needs, build it on every arch (one child workflow per arch), and only when
 * every planned build on every arch succeeded, have the branch coordinator publish it, all arches at once. Failures
 * wait for `retry` or `cancel`; a newer push of the branch supersedes it. Children are tracked by their signals, not
 * their handles, so this workflow can continue-as-new.
 */
export async function pushWorkflow(input: PushInput, carry?: PushCarry): Promise<PushResult> {
  const workflowId = workflowInfo().workflowId;
  const status: PushStatus = carry?.status ?? {
    workflowId, push: input.push, state: 'planning', requestedBy: input.requestedBy, startedAt: Date.now(), arches: [], builds: [],
  };
  const builds = new Map<string, BuildStatus & { log: string }>(status.builds.map((b) => [b.id, b]));
  let plan = carry?.plan;
  let cancelRequested: string | undefined;
  let supersede: SupersedeRequest | undefined;
  const pendingRetries: RetryRequest[] = [];
  let version = 0;
  const poke = () => { version++; };
  let publishRequested = carry?.publishRequested ?? false;
  let published: PublishResult | undefined;
  const tests = new InstallTestStage(status.installTests, poke);
  // Pushes that began before Kiln reported replay without reports.
  const reports = patched('push-reports') ? new ReportQueue((entry) => reportPush(entry), poke) : undefined;
  const reportsIdle = () => reports?.idle ?? true;

  const snapshot = (): PushStatus => ({
    ...status, builds: [...builds.values()].sort((a, b) => a.id.localeCompare(b.id)),
    ...(tests.started ? { installTests: tests.statuses() } : {}),
  });
  setHandler(pushStatusQuery, snapshot);
  setHandler(cancelSignal, ({ reason }) => { cancelRequested = reason ?? 'cancelled by an operator'; poke(); });
  setHandler(retrySignal, (request) => { pendingRetries.push(request); poke(); });
  setHandler(supersedeSignal, (request) => { supersede = request; poke(); });
  setHandler(buildsChangedSignal, (changed) => {
    for (const b of changed) {
      builds.set(b.id, { ...b, log: buildLogPath(input.push, b.source, b.arch) });
      forwardToOtherArches(b);
    }
    poke();
  });
  setHandler(publishFinishedSignal, (result) => { published = result; poke(); });
  setHandler(archStateSignal, ({ arch, state }) => {
    const summary = status.arches.find((a) => a.arch === arch);
    if (summary) summary.state = state;
    poke();
  });

  /** A build another arch waits on (arch-all packages build on the first arch only) changed: tell that arch. */
  function forwardToOtherArches(changed: BuildStatus): void {
    if (!plan) return;
    for (const arch of status.arches) {
      if (arch.arch === changed.arch) continue;
      const waits = plan.builds.some((b) => b.arch === arch.arch && b.deps.includes(changed.id));
      if (waits) void getExternalWorkflowHandle(arch.workflowId).signal(externalBuildSignal, { id: changed.id, state: changed.state }).catch(() => undefined);
    }
  }

  const report = (event: PushReportEvent) => {
    if (!reports) return;
    const all = [...builds.values()];
    const failures = all.filter((b) => b.state === 'failed' || b.state === 'blocked' || b.state === 'cancelled');
    const testsFailed = tests.started ? tests.statuses().filter((t) => t.state === 'failed').length : 0;
    const planError = plan?.errors[0];
    const publishError = status.publish?.outcome === 'failed' ? status.publish.error?.message : undefined;
    const entry: PushReport = {
      push: input.push, event, at: Date.now(), requestedBy: input.requestedBy,
      builds: {
        total: all.length,
        failed: all.filter((b) => b.state === 'failed').length,
        failures: failures.slice(0, REPORTED_FAILURES).map((b) => ({ source: b.source, arch: b.arch, state: b.state })),
      },
      ...(testsFailed > 0 ? { installTestsFailed: testsFailed } : {}),
      ...(status.publish?.snapshot !== undefined && event === 'published' ? { snapshot: status.publish.snapshot } : {}),
      ...(status.supersededBy ? { supersededBy: status.supersededBy } : {}),
      ...(publishError ? { error: publishError } : planError ? { error: `${planError.dir}: ${planError.message}` } : {}),
    };
    reports.add(entry);
  };

  const setState = async (state: PushState) => {
    if (status.state === state) return;
    const from = status.state;
    status.state = state;
    if (['failed', 'succeeded', 'cancelled', 'superseded'].includes(state)) status.finishedAt = Date.now();
    await CancellationScope.nonCancellable(() => writePushRecord(snapshot()));
    const event = reportEvent(from, state);
    if (event) report(event);
  };

  const finish = async (outcome: PushResult['outcome']): Promise<PushResult> => {
    await setState(outcome);
    await CancellationScope.nonCancellable(() => notifyBranch(input, workflowId, outcome));
    // The push is done for its branch; its last report may still be on its way (bounded by the activity's retries).
    await CancellationScope.nonCancellable(() => condition(reportsIdle, '20 minutes'));
    return { outcome, status: snapshot() };
  };

  try {
    if (!plan) {
      // Pending on the commit at once: planning a large tree can take a while.
      report('running');
      plan = await planPush({ push: input.push });
      status.plan = { builds: plan.builds.length, unchanged: plan.unchanged.length, deleted: plan.deleted, errors: plan.errors };
      for (const b of plan.builds) {
        builds.set(b.id, { id: b.id, source: b.source, version: b.version, arch: b.arch, state: 'waiting', attempt: 1, log: buildLogPath(input.push, b.source, b.arch) });
      }
      // Now that this push knows what it wants, older pushes of the branch stop, sharing what both want.
      const wanted = plan.builds.map(buildIdentity);
      for (const older of input.supersedes ?? []) {
        await getExternalWorkflowHandle(older).signal(supersedeSignal, { by: workflowId, wanted }).catch(() => undefined);
      }
      status.state = 'building';
      await writePushRecord(snapshot());
      for (const arch of plan.arches) {
        const archBuilds = plan.builds.filter((b) => b.arch === arch);
        if (archBuilds.length === 0) continue;
        const childId = archWorkflowId(workflowId, arch);
        status.arches.push({ arch, workflowId: childId, state: 'building' });
        await startChild(archBuildWorkflow, {
          workflowId: childId,
          args: [{ push: input.push, ...(plan.format ? { format: plan.format } : {}), suite: plan.suite, arch, parentWorkflowId: workflowId, builds: archBuilds, limits: plan.limits }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
      }
    }

    for (;;) {
      // Taken before any await below: a signal arriving during them must wake the next iteration.
      const seen = version;
      // Once the branch is publishing this push, it runs to the end: a snapshot cannot be half taken back.
      const publishing = status.state === 'publishing';
      if (cancelRequested && !publishing) return await cancelChildren(status.arches, () => finish('cancelled'));
      if (supersede && !publishing) {
        status.supersededBy = supersede.by;
        tests.cancelAll();
        for (const a of status.arches) {
          if (a.state !== 'succeeded') await getExternalWorkflowHandle(a.workflowId).signal(supersedeSignal, supersede).catch(() => undefined);
        }
        await condition(() => !tests.busy && status.arches.every((a) => ['succeeded', 'superseded', 'cancelled'].includes(a.state)));
        return await finish('superseded');
      }
      for (const request of pendingRetries.splice(0)) {
        // A failed publish is retried by asking again; build retries go to the arches.
        if (status.publish?.outcome === 'failed') { publishRequested = false; status.publish = undefined; }
        tests.retry(request);
        for (const a of status.arches) {
          // A succeeded arch has ended: it has nothing to retry (its builds' install tests are retried here). Behind
          // a patch: pushes whose history signalled ended arches replay as they ran.
          const ended = a.state === 'succeeded' && patched('retry-skips-ended-arches');
          if (!ended && (!request.arch || request.arch === a.arch)) {
            await getExternalWorkflowHandle(a.workflowId).signal(retrySignal, request).catch(() => undefined);
          }
        }
      }
      if (published) {
        const result = published;
        published = undefined;
        status.publish = result;
        if (result.outcome === 'published') return await finish('succeeded');
        if (result.outcome === 'skipped') return await finish('superseded');
        await setState('failed');
      }
      const states = status.arches.map((a) => a.state);
      const built = states.every((s) => s === 'succeeded') && plan.errors.length === 0;
      // Built is not enough: with install tests on, the push publishes once every build's test passed.
      let tested = built;
      if (built && plan.limits.installTest === true && !publishRequested) {
        if (!tests.started) tests.begin(plan);
        tests.launch(plan, builds, Date.now);
        tested = tests.passed();
        if (!tested) await setState(tests.failed() ? 'failed' : 'testing');
      }
      if (tested && !publishRequested) {
        publishRequested = true;
        await setState('publishing');
        try {
          await getExternalWorkflowHandle(branchWorkflowId(input.push.tree, input.push.branch)).signal(publishRequestedSignal, {
            kind: 'push', tree: input.push.tree, branch: input.push.branch, replyTo: workflowId, push: input.push, seq: input.seq ?? 0,
            ...(isWebhookRequester(input.requestedBy) ? { fromWebhook: true } : {}),
          });
        } catch {
          published = { outcome: 'failed', targets: [], error: { type: 'BRANCH_NOT_RUNNING', message: 'the branch coordinator is not running; retry' } };
          continue;
        }
      } else if (!built && states.every((s) => s === 'succeeded' || s === 'failed')) await setState('failed');
      else if (!built && status.state === 'failed') await setState('building');

      if (workflowInfo().continueAsNewSuggested && !tests.busy && reportsIdle()) {
        await continueAsNew<typeof pushWorkflow>(input, { plan, status: snapshot(), publishRequested });
      }
      await condition(() => version !== seen);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled through Temporal (UI, `temporal workflow cancel`): same cleanup as the cancel signal.
    return await CancellationScope.nonCancellable(() => cancelChildren(status.arches, () => finish('cancelled')));
  }

  async function cancelChildren(arches: ArchSummary[], then: () => Promise<PushResult>): Promise<PushResult> {
    status.state = 'cancelling';
    tests.cancelAll();
    for (const a of arches) {
      if (a.state === 'building' || a.state === 'failed') {
        await getExternalWorkflowHandle(a.workflowId).cancel().catch(() => undefined);
      }
    }
    // Children confirm once their containers are gone; bounded, so a lost child cannot hold the push forever.
    await condition(() => !tests.busy && arches.every((a) => a.state !== 'building' && a.state !== 'failed'), '10 minutes');
    return then();
  }
}

async function notifyBranch(input: PushInput, workflowId: string, outcome: string): Promise<void> {
  const branchId = branchWorkflowId(input.push.tree, input.push.branch);
  await getExternalWorkflowHandle(branchId).signal(pushFinishedSignal, { workflowId, outcome }).catch(() => undefined);
}
