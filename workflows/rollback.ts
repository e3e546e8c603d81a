import { ApplicationFailure, condition, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PublishResult } from '../domain/publish/publish';
import { branchWorkflowId } from '../domain/workflow-ids';
import { publishFinishedSignal, publishRequestedSignal } from './messages';

export interface RollbackInput {
  tree: string;
  branch: string;
  /** Snapshot number to return to; default: the newest one older than the current. */
  to?: number;
}

/**
 * `kiln rollback`: republish an older snapshot's packages as a new, freshly signed snapshot (so apt never sees a
 * Release older than one it already has), through the branch coordinator, in line with the branch's publishes.
 */
export async function rollbackWorkflow(input: RollbackInput): Promise<PublishResult> {
  let result: PublishResult | undefined;
  setHandler(publishFinishedSignal, (r) => { result = r; });
  try {
    await getExternalWorkflowHandle(branchWorkflowId(input.tree, input.branch)).signal(publishRequestedSignal, {
      kind: 'rollback', tree: input.tree, branch: input.branch, replyTo: workflowInfo().workflowId, to: input.to,
    });
  } catch {
    throw ApplicationFailure.nonRetryable(`${input.tree}/${input.branch} has no branch coordinator running: nothing was ever pushed`, 'BRANCH_NOT_RUNNING');
  }
  await condition(() => result !== undefined);
  if (result!.outcome === 'failed') {
    throw ApplicationFailure.nonRetryable(result!.error?.message ?? 'rollback failed', result!.error?.type ?? 'PUBLISH_FAILED');
  }
  return result!;
}
