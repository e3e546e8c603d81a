import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { KilnConfig } from '../../domain/config';
import type { DataLayout } from '../../domain/data-layout';
import type { GcReport } from '../../domain/gc-report';
import { contextFromWorkflowId } from '../../domain/observability/log-fields';
import { collectGarbage } from './collect';
import type { RunningPush } from './roots';

/**
 * Workflows whose work may still need what they made or used. Their start times bound what the collection may take
 * (collect.ts); the branch coordinators are left out: they run for ever, and need nothing on disk themselves.
 */
const WORKING_TYPES = ['pushWorkflow', 'archBuildWorkflow', 'buildWorkflow', 'publishWorkflow', 'rollbackWorkflow'];

export interface Running {
  pushes: RunningPush[];
  /** Start of the oldest working workflow of any kind (builds of a push that ended, publishes, rollbacks). */
  oldestStart?: Date;
}

export async function runningWork(client: Client): Promise<Running> {
  const query = `ExecutionStatus = 'Running' AND WorkflowType IN (${WORKING_TYPES.map((t) => `'${t}'`).join(', ')})`;
  const pushes: RunningPush[] = [];
  let oldest: number | undefined;
  for await (const wf of client.workflow.list({ query })) {
    oldest = Math.min(oldest ?? Infinity, wf.startTime.getTime());
    if (wf.type !== 'pushWorkflow') continue;
    const { tree, branch, commit } = contextFromWorkflowId(wf.workflowId);
    if (tree && branch && commit) pushes.push({ push: { tree, branch, commit }, startedAt: wf.startTime });
  }
  return { pushes, ...(oldest !== undefined ? { oldestStart: new Date(oldest) } : {}) };
}

export function createGcActivities({ config, layout }: { config: KilnConfig; layout: DataLayout }) {
  return {
    /** One garbage collection of the data dir; `dryRun`: only say what would go. */
    async collectGarbage({ dryRun }: { dryRun: boolean }): Promise<GcReport> {
      const running = await runningWork(Context.current().client);
      const timeouts = [config.build, ...config.trees.map((t) => t.build)].map((b) => b.timeoutMinutes);
      let beats = 0;
      return collectGarbage(layout, {
        dryRun,
        logsDays: config.retention.logsDays,
        running: running.pushes,
        ...(running.oldestStart ? { workStartedAt: running.oldestStart } : {}),
        workGraceMs: (Math.max(...timeouts) + 60) * 60_000,
        progress: () => { if (++beats % 500 === 0) Context.current().heartbeat(); },
      });
    },
  };
}
