// Process entry: the signer worker (task queue `sign`). Holds the final signing keys and nothing else; run it on an
// isolated host in production, with only `signer.keysDir` and a route to Temporal.
import { loadSignerKeys } from '../activities/signer/signer-keys';
import { processMetrics, signerMetrics } from '../domain/observability/kiln-metrics';
import { Registry } from '../domain/observability/metrics';
import { installRuntimeLogger } from './lib/logger';
import { metricsListenAddress, startMetricsServer } from './lib/metrics-server';
import { connectWorker, loadProcessConfig, processArgs, runMain } from './lib/process';
import { createSignerWorker } from './signer-worker';

runMain('signer', async () => {
  const { configFile, values } = processArgs({ 'metrics-port': { type: 'string' } });
  const metricsAddress = metricsListenAddress(values['metrics-port'] as string | undefined);
  const config = loadProcessConfig(configFile);
  const keys = await loadSignerKeys(config.signer.keysDir, config.signer.passwordDir);
  installRuntimeLogger('signer');
  const registry = new Registry();
  processMetrics(registry);
  const connection = await connectWorker(config);
  const worker = await createSignerWorker({
    connection, namespace: config.temporal.namespace, keys, config, metrics: signerMetrics(registry),
  });
  const metricsServer = metricsAddress && await startMetricsServer(registry, metricsAddress);
  console.log(`kiln signer: task queue ${worker.options.taskQueue} on ${config.temporal.address}, minisign key ${keys.minisign.keyIdHex} from ${config.signer.keysDir}`);
  if (metricsServer) console.log(`kiln signer: metrics on ${metricsServer.url}`);
  await worker.run();
  await metricsServer?.close();
  await connection.close();
});
