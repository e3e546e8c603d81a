import type { Worker } from '@temporalio/worker';
import type { KilnConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import { createBuildWorker } from '../../workers/build-worker';
import { createOrchestratorWorker } from '../../workers/orchestrator-worker';
import { workflowBundle, type TemporalTestContext } from './temporal';

/** The orchestrator and one build worker per arch of the config, in this test process, on the shared server. */
export async function kilnWorkers(t: TemporalTestContext, config: KilnConfig): Promise<Worker[]> {
  const layout = new DataLayout(config.dataDir);
  const arches = [...new Set(config.trees.flatMap((tree) => tree.architectures))];
  return [
    await createOrchestratorWorker({ connection: t.workerConnection, namespace: t.namespace, workflowBundle: await workflowBundle(), config }),
    ...(await Promise.all(arches.map((arch) => createBuildWorker({ connection: t.workerConnection, namespace: t.namespace, arch, layout, maxConcurrentBuilds: 2 })))),
  ];
}
