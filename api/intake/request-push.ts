import type { Client } from '@temporalio/client';
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
