// Workflow IDs are derived, never random: a redelivered webhook or a repeated `kiln push` finds the same workflow.

/** One coordinator per tree and branch: orders its pushes and supersedes older ones. */
export function branchWorkflowId(tree: string, branch: string): string {
  return `branch/${tree}/${branch}`;
}

/** `push/<tree>/<branch>/<commit>`: branch slashes are kept, Temporal IDs allow any characters. */
export function pushWorkflowId(tree: string, branch: string, commit: string): string {
  return `push/${tree}/${branch}/${commit}`;
}

export function archWorkflowId(pushWorkflowId: string, arch: string): string {
  return `${pushWorkflowId}/${arch}`;
}

/** One publish per snapshot number of a branch: a retried or resumed publish finds the same workflow. */
export function publishWorkflowId(tree: string, branch: string, snapshot: number): string {
  return `publish/${tree}/${branch}/${snapshot}`;
}

/** Rollbacks are operator actions, each its own workflow; `requestId` keeps a repeated request from running twice. */
export function rollbackWorkflowId(tree: string, branch: string, requestId: string): string {
  return `rollback/${tree}/${branch}/${requestId}`;
}

/** The request id of a rollback workflow of the branch (its last segment), or undefined when the ID is not one. */
export function rollbackRequestId(tree: string, branch: string, workflowId: string): string | undefined {
  const prefix = rollbackWorkflowId(tree, branch, '');
  const id = workflowId.startsWith(prefix) ? workflowId.slice(prefix.length) : '';
  return id !== '' && !id.includes('/') ? id : undefined;
}

/**
 * One build per key at a time, whichever push wants it: the key's build workflow. Its ID is the duplicate-build
 * guard (Temporal refuses a second running workflow of the same ID), so no lock file is shared by anyone.
 */
export function buildWorkflowId(key: string): string {
  return `build/${key}`;
}

/** The schedule that runs garbage collection every retention.gcEveryHours. */
export const GC_SCHEDULE_ID = 'kiln-gc';

/** A collection an operator asked for (`kiln gc`): one at a time, so a second request joins the running one. */
export function gcWorkflowId(dryRun: boolean): string {
  return dryRun ? 'gc/dry-run' : 'gc/manual';
}
