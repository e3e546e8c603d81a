import { NativeConnection, Worker } from '@temporalio/worker';
import { observeActivities } from '../activities/observability/activity-observer';
import { createSignerActivities } from '../activities/signer-activities';
import type { SignerKeys } from '../activities/signer/signer-keys';
import type { KilnConfig } from '../domain/config';
import type { SignerMetrics } from '../domain/observability/kiln-metrics';
import { SIGN_TASK_QUEUE } from '../domain/task-queues';

/** Serves `sign` and nothing else: its own queue, so the final keys live in this process only. */
export function createSignerWorker(options: {
  connection: NativeConnection; namespace: string; keys: SignerKeys;
  /** The signer's own configuration: its keys dir, rate limit, and the trees, branches and suites it signs for. */
  config: Pick<KilnConfig, 'signer' | 'trees'>;
  /** signRelease latency and outcomes (the process's /metrics); none: not measured. */
  metrics?: SignerMetrics;
}): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: SIGN_TASK_QUEUE,
    activities: createSignerActivities(options.keys, options.config),
    interceptors: { activity: [observeActivities({ signer: options.metrics })] },
  });
}
