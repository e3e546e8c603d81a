// Process entry: the orchestrator worker (task queue `kiln`): all workflows and the orchestrator's activities.
import { processMetrics, publishMetrics } from '../domain/observability/kiln-metrics';
import { Registry } from '../domain/observability/metrics';
import { ensureRetention } from './lib/gc-schedule';
import { installRuntimeLogger } from './lib/logger';
import { metricsListenAddress, startMetricsServer } from './lib/metrics-server';
import { connectWorker, loadProcessConfig, processArgs, runMain } from './lib/process';
import { createOrchestratorWorker } from './orchestrator-worker';

runMain('orchestrator', async () => {
  const { configFile, values } = processArgs({ 'metrics-port': { type: 'string' } });
  const metricsAddress = metricsListenAddress(values['metrics-port'] as string | undefined);
  const config = loadProcessConfig(configFile);
  installRuntimeLogger('orchestrator');
  const registry = new Registry();
  processMetrics(registry);
  const connection = await connectWorker(config);
  // The garbage collection schedule and the namespace's retention: set (or brought in line with the config) at start.
  // Neither is needed to build: a failure is said, and the next start tries again.
  await ensureRetention(config, (message) => console.log(`kiln orchestrator: ${message}`))
    .catch((err: unknown) => console.error(`kiln orchestrator: could not set up the garbage collection schedule: ${String(err)}`));
  const worker = await createOrchestratorWorker({ connection, namespace: config.temporal.namespace, config, metrics: publishMetrics(registry) });
  const metricsServer = metricsAddress && await startMetricsServer(registry, metricsAddress);
  console.log(`kiln orchestrator: task queue ${worker.options.taskQueue} on ${config.temporal.address} (namespace ${config.temporal.namespace})`);
  if (metricsServer) console.log(`kiln orchestrator: metrics on ${metricsServer.url}`);
  await worker.run(); // returns once SIGINT/SIGTERM drained the worker
  await metricsServer?.close();
  await connection.close();
});
