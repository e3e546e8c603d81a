import { proxyActivities } from '@temporalio/workflow';
import type { createGcActivities } from '../activities/gc/gc-activities';
import type { GcReport } from '../domain/gc-report';

const { collectGarbage } = proxyActivities<ReturnType<typeof createGcActivities>>({
  // A big store takes a while to walk; the heartbeat says it is still walking.
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3, initialInterval: '30 seconds' },
});

export interface GcInput {
  dryRun: boolean;
}

/**
 * Garbage collection of the data dir: run by the `kiln-gc` schedule (retention.gcEveryHours), or by `kiln gc`. A
 * workflow so that a collection cut short by a crash is simply run again, and the schedule survives restarts.
 */
export async function gcWorkflow(input: GcInput): Promise<GcReport> {
  return collectGarbage({ dryRun: input.dryRun === true });
}
