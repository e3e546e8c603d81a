import {
  ParentClosePolicy, allHandlersFinished, condition, continueAsNew, defineQuery, executeChild, getExternalWorkflowHandle,
  proxyActivities, setHandler, startChild, workflowInfo, WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { PublishActivities } from '../activities/publish/publish-activities';
import type { PublishRequest, PublishResult } from '../domain/publish/publish';
import { ORCHESTRATOR_TASK_QUEUE } from '../domain/task-queues';
import { publishWorkflowId, pushWorkflowId } from '../domain/workflow-ids';
import { describeFailure } from './lib/failures';
import { publishFinishedSignal, publishRequestedSignal, pushFinishedSignal, pushRequestedSignal, wakeSignal } from './messages';
import { publishWorkflow } from './publish';
import { pushWorkflow } from './push';

export interface BranchInput {
  tree: string;
  branch: string;
  /** Carried over continue-as-new. */
  recent?: string[];
  active?: string[];
  /** Arrival number of the last push started: publishing never goes back to an older one. */
  seq?: number;
  lastPublishedSeq?: number;
  nextSnapshot?: number;
  publishQueue?: PublishRequest[];
}

export interface BranchStatus {
  tree: string;
  branch: string;
  /** Push workflows still running, oldest first. */
  active: string[];
  /** Commits seen most recently, newest last. */
  recent: string[];
  /** The publish (or rollback) running now, and those waiting behind it. */
  publishing?: PublishRequest;
  publishQueue: PublishRequest[];
}

export const branchStatusQuery = defineQuery<BranchStatus>('branchStatus');

const RECENT_COMMITS = 500;
const PUSHES_PER_RUN = 200;

const { nextSnapshotNumber, publishedCommitCovering } = proxyActivities<PublishActivities>({
  taskQueue: ORCHESTRATOR_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});

/**
 * The coordinator of one tree and branch, started by the first push (signal-with-start) and kept alive: it starts one
 * push workflow per new commit, in arrival order, ignores commits it has seen (redelivered webhooks), and tells each
 * new push which older ones it supersedes. It also runs the branch's publishes and rollbacks one at a time, in
 * order, and never publishes a push older than one already published.
 */
export async function branchWorkflow(input: BranchInput): Promise<void> {
  const recent = input.recent ?? [];
  const active = input.active ?? [];
  const queue: Array<{ commit: string; requestedBy: string }> = [];
  let started = 0;
  let seq = input.seq ?? 0;
  let lastPublishedSeq = input.lastPublishedSeq ?? 0;
  let nextSnapshot = input.nextSnapshot;
  const publishQueue: PublishRequest[] = input.publishQueue ?? [];
  let publishing: PublishRequest | undefined;

  setHandler(branchStatusQuery, () => ({
    tree: input.tree, branch: input.branch, active: [...active], recent: [...recent], publishing, publishQueue: [...publishQueue],
  }));
  setHandler(pushRequestedSignal, (request) => { queue.push(request); });
  setHandler(publishRequestedSignal, (request) => { publishQueue.push(request); });
  setHandler(wakeSignal, () => undefined);
  setHandler(pushFinishedSignal, ({ workflowId }) => {
    const i = active.indexOf(workflowId);
    if (i >= 0) active.splice(i, 1);
  });

  async function publishOne(request: PublishRequest): Promise<PublishResult> {
    if (request.kind === 'push' && request.seq <= lastPublishedSeq) {
      return { outcome: 'skipped', targets: [], reason: 'a newer push of this branch is already published' };
    }
    // Arrival order is not history: a replayed old webhook arrives last. Its commit must not replace a published
    // descendant (operators' pushes may go back on purpose; rollbacks are their own kind).
    if (request.kind === 'push' && request.fromWebhook) {
      const published = await publishedCommitCovering(request.push);
      if (published !== undefined) {
        return { outcome: 'skipped', targets: [], reason: `commit ${request.push.commit} is the published ${published} or one of its ancestors` };
      }
    }
    nextSnapshot ??= await nextSnapshotNumber({ tree: input.tree, branch: input.branch });
    const number = nextSnapshot++;
    try {
      const result = await executeChild(publishWorkflow, {
        workflowId: publishWorkflowId(input.tree, input.branch, number),
        args: [{ request, number }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      if (request.kind === 'push') lastPublishedSeq = Math.max(lastPublishedSeq, request.seq);
      return result;
    } catch (err) {
      return { outcome: 'failed', targets: [], error: describeFailure(err) };
    }
  }

  // The publisher: one publish at a time, in the order they were asked for.
  void (async () => {
    for (;;) {
      await condition(() => publishQueue.length > 0);
      publishing = publishQueue.shift()!;
      const result = await publishOne(publishing);
      await getExternalWorkflowHandle(publishing.replyTo).signal(publishFinishedSignal, result).catch(() => undefined);
      publishing = undefined;
    }
  })();

  const idle = () => publishing === undefined && publishQueue.length === 0;
  for (;;) {
    await condition(() => queue.length > 0 || ((started >= PUSHES_PER_RUN || workflowInfo().continueAsNewSuggested) && idle()));
    while (queue.length > 0) {
      const { commit, requestedBy } = queue.shift()!;
      if (recent.includes(commit)) continue;
      recent.push(commit);
      if (recent.length > RECENT_COMMITS) recent.shift();
      const workflowId = pushWorkflowId(input.tree, input.branch, commit);
      try {
        await startChild(pushWorkflow, {
          workflowId,
          args: [{ push: { tree: input.tree, branch: input.branch, commit }, requestedBy, supersedes: [...active], seq: seq + 1 }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        active.push(workflowId);
        seq++;
        started++;
      } catch (err) {
        // That commit was pushed before (an earlier run of this coordinator): nothing new to start.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    if ((started >= PUSHES_PER_RUN || workflowInfo().continueAsNewSuggested) && idle()) {
      await condition(allHandlersFinished);
      if (queue.length === 0 && idle()) {
        await continueAsNew<typeof branchWorkflow>({ ...input, recent, active, seq, lastPublishedSeq, nextSnapshot, publishQueue });
      }
    }
  }
}
