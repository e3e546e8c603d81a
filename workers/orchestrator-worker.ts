import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { observeActivities } from '../activities/observability/activity-observer';
import { createOrchestratorActivities } from '../activities/orchestrator-activities';
import type { KilnConfig } from '../domain/config';
import { DataLayout } from '../domain/data-layout';
import type { PublishMetrics } from '../domain/observability/kiln-metrics';
import { ORCHESTRATOR_TASK_QUEUE } from '../domain/task-queues';
import { workflowsPath } from './lib/workflow-source';

export interface OrchestratorWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue?: string;
  /** A prebuilt bundle (tests share one); otherwise workflows/ is bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  config: KilnConfig;
  /** Publish durations (the process's /metrics); none: not measured. */
  metrics?: PublishMetrics;
}

/** Runs every workflow, and the orchestrator's own activities (git, plan, WIP repo, snapshot, index, publish). */
export function createOrchestratorWorker(options: OrchestratorWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? ORCHESTRATOR_TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: workflowsPath() }),
    activities: createOrchestratorActivities({ config: options.config, layout: new DataLayout(options.config.dataDir) }),
    interceptors: { activity: [observeActivities({ publish: options.metrics })] },
  });
}
