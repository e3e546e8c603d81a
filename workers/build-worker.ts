import { NativeConnection, Worker } from '@temporalio/worker';
import { createBuildActivities } from '../activities/build-activities';
import { observeActivities } from '../activities/observability/activity-observer';
import type { DataLayout } from '../domain/data-layout';
import { initBuildMetrics, type BuildMetrics } from '../domain/observability/kiln-metrics';
import { buildTaskQueue } from '../domain/task-queues';

export interface BuildWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  arch: string;
  layout: DataLayout;
  /** Builds this worker runs at once; the per-arch cap of a push is enforced by the workflow. */
  maxConcurrentBuilds?: number;
  /** Where build counts, durations and queue waits go (the process's /metrics); none: not measured. */
  metrics?: BuildMetrics;
}

/** Serves build-<arch>: each activity is one fresh container. Holds no secret. */
export function createBuildWorker(options: BuildWorkerOptions): Promise<Worker> {
  if (options.metrics) initBuildMetrics(options.metrics, options.arch);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: buildTaskQueue(options.arch),
    activities: createBuildActivities({ layout: options.layout }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentBuilds ?? 2,
    interceptors: { activity: [observeActivities({ build: options.metrics ? { arch: options.arch, metrics: options.metrics } : undefined })] },
  });
}
