import { proxyActivities } from '@temporalio/workflow';
import type { BuildActivities } from '../activities/build-activities';
import type { ProbeInput, ProbeResult } from '../activities/builder/probe';
import { buildTaskQueue } from '../domain/task-queues';

/** Ask the build workers of one arch to run their builder image: answers "can this arch build right now?". */
export async function builderProbeWorkflow(input: ProbeInput): Promise<ProbeResult> {
  const { probeBuilder } = proxyActivities<BuildActivities>({
    taskQueue: buildTaskQueue(input.arch),
    startToCloseTimeout: '5 minutes',
    retry: { maximumAttempts: 3 },
  });
  return probeBuilder(input);
}
