import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { KilnConfig, TreeConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import { KilnError } from '../../domain/errors';
import type { PublishResult } from '../../domain/publish/publish';
import type { PushStatus } from '../../domain/push';
import { currentHead } from '../../activities/git/tree-source';
import { cancelSignal, pushStatusQuery, retrySignal, type RetryRequest } from '../../workflows/messages';
import type { rollbackWorkflow } from '../../workflows/rollback';
import { requestRollback } from '../intake/request-rollback';
import type { GcReport } from '../../domain/gc-report';
import { gcWorkflowId } from '../../domain/workflow-ids';
import { ORCHESTRATOR_TASK_QUEUE } from '../../domain/task-queues';
import type { gcWorkflow } from '../../workflows/gc';

/** How a rollback workflow went: `unknown` when Temporal has no such workflow (never started, or past retention). */
export type RollbackOutcome =
  | { state: 'running' }
  | { state: 'succeeded'; result: PublishResult }
  | { state: 'failed'; error: { type: string; message: string } }
  | { state: 'unknown' };

/**
 * What the API asks of the outside world about pushes: Temporal (live status, signals, rollbacks) and git (a branch's
 * head). The real one is `temporalPushControl`; route tests hand the app a fake.
 */
export interface PushControl {
  /** The live status of a push workflow that is running; undefined when it is not (finished, or never started). */
  liveStatus(workflowId: string): Promise<PushStatus | undefined>;
  /** 'not-running': no such workflow is running, nothing was sent. */
  cancel(workflowId: string, reason: string): Promise<'sent' | 'not-running'>;
  retry(workflowId: string, request: RetryRequest): Promise<'sent' | 'not-running'>;
  /** Starts a rollback workflow (to snapshot `to`, or the one before the current) and returns without waiting for it. */
  rollback(input: { tree: string; branch: string; to?: number }): Promise<{ workflowId: string }>;
  /** How a rollback workflow (one `rollback` started) went: running, succeeded, failed, or unknown to Temporal. */
  rollbackOutcome(workflowId: string): Promise<RollbackOutcome>;
  /** The commit a push of the branch builds when none is named. */
  branchHead(tree: TreeConfig, branch: string): Promise<string>;
  /** Runs a garbage collection (or joins the one running) and answers its report. */
  collectGarbage?(dryRun: boolean): Promise<GcReport>;
}

/** How long a live status query may take before the API answers from the record instead. */
const QUERY_DEADLINE_MS = 5_000;

export function temporalPushControl(client: Client, config: KilnConfig): PushControl {
  const layout = new DataLayout(config.dataDir);

  async function signalled(send: () => Promise<void>): Promise<'sent' | 'not-running'> {
    try {
      await send();
      return 'sent';
    } catch (err) {
      // Temporal answers a signal to a closed workflow as "not found" too.
      if (err instanceof WorkflowNotFoundError) return 'not-running';
      throw err;
    }
  }

  return {
    async liveStatus(workflowId) {
      const handle = client.workflow.getHandle(workflowId);
      try {
        return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, async () => {
          const description = await handle.describe();
          if (description.status.name !== 'RUNNING') return undefined;
          return handle.query(pushStatusQuery);
        });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
    async collectGarbage(dryRun) {
      const workflowId = gcWorkflowId(dryRun);
      try {
        await client.workflow.start<typeof gcWorkflow>('gcWorkflow', { workflowId, taskQueue: ORCHESTRATOR_TASK_QUEUE, args: [{ dryRun }] });
      } catch (err) {
        // One at a time: a second request waits for the collection already running and gets its report.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      return client.workflow.getHandle<typeof gcWorkflow>(workflowId).result();
    },
    cancel: (workflowId, reason) => signalled(() => client.workflow.getHandle(workflowId).signal(cancelSignal, { reason })),
    retry: (workflowId, request) => signalled(() => client.workflow.getHandle(workflowId).signal(retrySignal, request)),
    async rollback(input) {
      const { workflowId } = await requestRollback(client, input);
      return { workflowId };
    },
    async rollbackOutcome(workflowId) {
      const handle = client.workflow.getHandle<typeof rollbackWorkflow>(workflowId);
      try {
        return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, async (): Promise<RollbackOutcome> => {
          const description = await handle.describe();
          // An ID of the rollback's shape that names something else is not a rollback.
          if (description.type !== 'rollbackWorkflow') return { state: 'unknown' };
          if (description.status.name === 'RUNNING') return { state: 'running' };
          try {
            return { state: 'succeeded', result: await handle.result() };
          } catch (err) {
            if (!(err instanceof WorkflowFailedError)) throw err;
            // Failed (the branch refused, or publishing failed), or terminated, cancelled, timed out in Temporal.
            const cause = err.cause;
            const type = cause instanceof ApplicationFailure && cause.type ? cause.type : description.status.name;
            return { state: 'failed', error: { type, message: cause?.message || `the rollback workflow ended ${description.status.name.toLowerCase()}` } };
          }
        });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { state: 'unknown' };
        throw new KilnError('TEMPORAL_UNAVAILABLE', `Temporal did not answer about ${workflowId}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    branchHead: (tree, branch) => currentHead(tree, layout, branch),
  };
}
