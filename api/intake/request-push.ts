import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PushRef } from '../../domain/data-layout';
import { ORCHESTRATOR_TASK_QUEUE } from '../../domain/task-queues';
import { branchWorkflowId, pushWorkflowId } from '../../domain/workflow-ids';
import { pushRequestedSignal } from '../../workflows/messages';

/**
 * Hand a push to its branch coordinator (started on first use): it starts the push workflow, whose ID is derived
 * from tree, branch and commit, so asking twice for the same commit starts nothing new.
 */
export async function requestPush(client: Client, push: PushRef, requestedBy: string): Promise<{ workflowId: string }> {
  await client.workflow.signalWithStart('branchWorkflow', {
    workflowId: branchWorkflowId(push.tree, push.branch),
    taskQueue: ORCHESTRATOR_TASK_QUEUE,
    args: [{ tree: push.tree, branch: push.branch }],
    signal: pushRequestedSignal,
    signalArgs: [{ commit: push.commit, requestedBy }],
  });
  return { workflowId: pushWorkflowId(push.tree, push.branch, push.commit) };
}

/** The branch coordinator starts a requested push a moment later: wait until its workflow exists. */
export async function waitUntilStarted(client: Client, workflowId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.workflow.getHandle(workflowId).describe();
      return;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
