import { NativeConnection, Worker } from '@temporalio/worker';
import { createBuildActivities } from '../activities/build-activities';
import { BlobClient, type ExchangeEndpoint } from '../activities/exchange/blob-client';
import { WorkerCache } from '../activities/exchange/worker-cache';
import { observeActivities } from '../activities/observability/activity-observer';
import { initBuildMetrics, type BuildMetrics } from '../domain/observability/kiln-metrics';
import { buildTaskQueue } from '../domain/task-queues';

export interface BuildWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  arch: string;
  /** Kiln's API (blob exchange, log shipping) and this worker's token: the only way it reaches Kiln's data. */
  endpoint: ExchangeEndpoint;
  /** This worker's own disk: fetched blobs, unpacked recipes, build work dirs. Not shared with anyone. */
  cacheDir: string;
  /** What the cache may hold (MiB); default 20480. */
  cacheMaxMb?: number;
  /** Builds this worker runs at once; the per-arch cap of a push is enforced by the workflow. */
  maxConcurrentBuilds?: number;
  /** Where build counts, durations and queue waits go (the process's /metrics); none: not measured. */
  metrics?: BuildMetrics;
}

/** Serves build-<arch>: each activity is one fresh container. Holds no secret but its worker token. */
export async function createBuildWorker(options: BuildWorkerOptions): Promise<Worker> {
  if (options.metrics) initBuildMetrics(options.metrics, options.arch);
  const client = new BlobClient(options.endpoint);
  const cache = new WorkerCache(options.cacheDir, client, (options.cacheMaxMb ?? 20480) * 1048576);
  await cache.init();
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: buildTaskQueue(options.arch),
    activities: createBuildActivities({ exchange: { client, cache } }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentBuilds ?? 2,
    // A build heartbeats every 5 s, but the SDK sends at most one heartbeat per 0.8 × the 60 s heartbeat timeout:
    // a cancel (which the worker learns from a heartbeat's answer) would reach the build up to 48 s late.
    maxHeartbeatThrottleInterval: '5 seconds',
    interceptors: { activity: [observeActivities({ build: options.metrics ? { arch: options.arch, metrics: options.metrics } : undefined })] },
  });
}
