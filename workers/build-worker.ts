import { NativeConnection, Worker } from '@temporalio/worker';
import { createBuildActivities } from '../activities/build-activities';
import type { DataLayout } from '../domain/data-layout';
import { buildTaskQueue } from '../domain/task-queues';

export interface BuildWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  arch: string;
  layout: DataLayout;
  /** Builds this worker runs at once; the per-arch cap of a push is enforced by the workflow. */
  maxConcurrentBuilds?: number;
}

/** Serves build-<arch>: each activity is one fresh container. Holds no secret. */
export function createBuildWorker(options: BuildWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: buildTaskQueue(options.arch),
    activities: createBuildActivities({ layout: options.layout }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentBuilds ?? 2,
  });
}
