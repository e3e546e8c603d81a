// Process entry: the orchestrator worker (task queue `kiln`): all workflows and the orchestrator's activities.
import { connectWorker, installQuietRuntime, loadProcessConfig, processArgs, runMain } from './lib/process';
import { createOrchestratorWorker } from './orchestrator-worker';

runMain('orchestrator', async () => {
  const { configFile } = processArgs();
  const config = loadProcessConfig(configFile);
  installQuietRuntime();
  const connection = await connectWorker(config);
  const worker = await createOrchestratorWorker({ connection, namespace: config.temporal.namespace, config });
  console.log(`kiln orchestrator: task queue ${worker.options.taskQueue} on ${config.temporal.address} (namespace ${config.temporal.namespace})`);
  await worker.run(); // returns once SIGINT/SIGTERM drained the worker
  await connection.close();
});
