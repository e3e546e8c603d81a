import { ActivityCancellationType, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { BuildActivities } from '../activities/build-activities';
import type { BuildRequest, WorkerBuildRequest } from '../activities/builder/build-request';
import type { OrchestratorActivities } from '../activities/orchestrator-activities';
import type { BuildOutcome } from '../domain/build';
import { buildTaskQueue, ORCHESTRATOR_TASK_QUEUE } from '../domain/task-queues';
import { LOCAL_ORCHESTRATOR_ACTIVITIES } from './lib/patches';

export interface BuildWorkflowInput {
  request: BuildRequest;
  job: WorkerBuildRequest;
}

/**
 * `build/<key>`: one build of one key. A build worker of the arch runs it (inputs by digest, results uploaded), then
 * the orchestrator validates and records the results. Its ID keeps two pushes from building the same key at once;
 * its cancellation (the push's) kills and removes the container before it ends.
 */
export async function buildWorkflow({ request, job }: BuildWorkflowInput): Promise<BuildOutcome> {
  const { runBuild } = proxyActivities<BuildActivities>({
    taskQueue: buildTaskQueue(request.arch),
    startToCloseTimeout: `${request.limits.timeoutMinutes + 10} minutes`,
    // A killed build worker is noticed by its missing heartbeats (sent every 5 s) within a minute; a minute also lets
    // a build ride out a Temporal restart (the worker cancels an activity it cannot heartbeat for that long).
    heartbeatTimeout: '60 seconds',
    // Cancelled means the container is gone: wait for the activity to kill and remove it, not just ask.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 30 },
  });
  const { recordBuild } = proxyActivities<OrchestratorActivities>({
    taskQueue: ORCHESTRATOR_TASK_QUEUE,
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 20 },
  });
  // Recording runs inside this workflow's task (see arch-builds.ts): idempotent, it may run again after a crash.
  const local = proxyLocalActivities<OrchestratorActivities>({
    startToCloseTimeout: '15 minutes',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 20 },
  });
  const result = await runBuild(job);
  return await (patched(LOCAL_ORCHESTRATOR_ACTIVITIES) ? local : { recordBuild }).recordBuild({ request, result });
}
