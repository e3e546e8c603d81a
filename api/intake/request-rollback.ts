import * as crypto from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PublishResult } from '../../domain/publish/publish';
import { ORCHESTRATOR_TASK_QUEUE } from '../../domain/task-queues';
import { branchWorkflowId, rollbackWorkflowId } from '../../domain/workflow-ids';
import { wakeSignal } from '../../workflows/messages';
import type { rollbackWorkflow } from '../../workflows/rollback';

/**
 * Start a rollback of a branch's published repository (to snapshot `to`, or the one before the current). The branch
 * coordinator is woken first (it may not be running after a Temporal history reset), then the rollback workflow asks it.
 */
export async function requestRollback(client: Client, input: { tree: string; branch: string; to?: number }): Promise<{ workflowId: string; result: () => Promise<PublishResult> }> {
  await client.workflow.signalWithStart('branchWorkflow', {
    workflowId: branchWorkflowId(input.tree, input.branch),
    taskQueue: ORCHESTRATOR_TASK_QUEUE,
    args: [{ tree: input.tree, branch: input.branch }],
    signal: wakeSignal,
    signalArgs: [],
  });
  const workflowId = rollbackWorkflowId(input.tree, input.branch, `${new Date().toISOString().replace(/[:.]/g, '')}-${crypto.randomBytes(3).toString('hex')}`);
  const handle = await client.workflow.start<typeof rollbackWorkflow>('rollbackWorkflow', {
    workflowId, taskQueue: ORCHESTRATOR_TASK_QUEUE, args: [{ tree: input.tree, branch: input.branch, to: input.to }],
  });
  return { workflowId, result: () => handle.result() };
}
