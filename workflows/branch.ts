import {
  ParentClosePolicy, allHandlersFinished, condition, continueAsNew, defineQuery,
  setHandler, startChild, workflowInfo, WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { pushWorkflowId } from '../domain/workflow-ids';
import { pushFinishedSignal, pushRequestedSignal } from './messages';
import { pushWorkflow } from './push';

export interface BranchInput {
  tree: string;
  branch: string;
  /** Carried over continue-as-new. */
  recent?: string[];
  active?: string[];
}

export interface BranchStatus {
  tree: string;
  branch: string;
  /** Push workflows still running, oldest first. */
  active: string[];
  /** Commits seen most recently, newest last. */
  recent: string[];
}

export const branchStatusQuery = defineQuery<BranchStatus>('branchStatus');

const RECENT_COMMITS = 500;
const PUSHES_PER_RUN = 200;

/**
 * The coordinator of one tree and branch, started by the first push (signal-with-start) and kept alive: it starts one
 * push workflow per new commit, in arrival order, ignores commits it has seen (redelivered webhooks), and tells each
 * new push which older ones it supersedes.
 */
export async function branchWorkflow(input: BranchInput): Promise<void> {
  const recent = input.recent ?? [];
  const active = input.active ?? [];
  const queue: Array<{ commit: string; requestedBy: string }> = [];
  let started = 0;

  setHandler(branchStatusQuery, () => ({ tree: input.tree, branch: input.branch, active: [...active], recent: [...recent] }));
  setHandler(pushRequestedSignal, (request) => { queue.push(request); });
  setHandler(pushFinishedSignal, ({ workflowId }) => {
    const i = active.indexOf(workflowId);
    if (i >= 0) active.splice(i, 1);
  });

  for (;;) {
    await condition(() => queue.length > 0 || started >= PUSHES_PER_RUN || workflowInfo().continueAsNewSuggested);
    while (queue.length > 0) {
      const { commit, requestedBy } = queue.shift()!;
      if (recent.includes(commit)) continue;
      recent.push(commit);
      if (recent.length > RECENT_COMMITS) recent.shift();
      const workflowId = pushWorkflowId(input.tree, input.branch, commit);
      try {
        await startChild(pushWorkflow, {
          workflowId,
          args: [{ push: { tree: input.tree, branch: input.branch, commit }, requestedBy, supersedes: [...active] }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        active.push(workflowId);
        started++;
      } catch (err) {
        // That commit was pushed before (an earlier run of this coordinator): nothing new to start.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    if (started >= PUSHES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (queue.length === 0) await continueAsNew<typeof branchWorkflow>({ ...input, recent, active });
    }
  }
}
