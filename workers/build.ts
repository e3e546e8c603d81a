// Process entry: a build worker for one architecture (task queue build-<arch>). Runs on any machine with Docker.
import { checkDockerEngine, requireImage } from '../activities/docker/engine';
import { reapOrphanedBuilds } from '../activities/docker/reap-orphans';
import { checkSandboxSupport } from '../activities/docker/sandbox';
import { builderImageTag } from '../domain/builder-image';
import { DataLayout } from '../domain/data-layout';
import { KilnError } from '../domain/errors';
import { buildMetrics, processMetrics } from '../domain/observability/kiln-metrics';
import { Registry } from '../domain/observability/metrics';
import { createBuildWorker } from './build-worker';
import { installRuntimeLogger } from './lib/logger';
import { metricsListenAddress, startMetricsServer } from './lib/metrics-server';
import { connectWorker, loadProcessConfig, processArgs, runMain } from './lib/process';

runMain('build worker', async () => {
  const { configFile, values } = processArgs({ arch: { type: 'string' }, 'metrics-port': { type: 'string' } });
  const metricsAddress = metricsListenAddress(values['metrics-port'] as string | undefined);
  const config = loadProcessConfig(configFile);
  const arch = (values.arch as string | undefined) ?? process.env.KILN_BUILD_ARCH;
  const known: string[] = [...new Set(config.trees.flatMap((t) => t.architectures))];
  if (!arch || !known.includes(arch)) {
    throw new KilnError('CONFIG_INVALID', `--arch must be one of the configured architectures (${known.join(', ')}), got ${arch ?? 'nothing'}`);
  }
  await checkDockerEngine();
  // Every builder image this arch's trees build with (their suite and format), each checked for the disk cap.
  const images = new Set(config.trees.filter((t) => (t.architectures as readonly string[]).includes(arch))
    .map((t) => builderImageTag(t.distribution, arch, undefined, t.format)));
  for (const image of images) {
    await requireImage(image);
    await checkSandboxSupport(image);
  }
  await reapOrphanedBuilds((line) => console.log(`kiln build worker: ${line}`));
  installRuntimeLogger(`build-${arch}`);
  const registry = new Registry();
  processMetrics(registry);
  const connection = await connectWorker(config);
  const concurrency = Math.max(...config.trees.map((t) => t.build.concurrency));
  const worker = await createBuildWorker({
    connection, namespace: config.temporal.namespace, arch, layout: new DataLayout(config.dataDir), maxConcurrentBuilds: concurrency,
    metrics: buildMetrics(registry),
  });
  const metricsServer = metricsAddress && await startMetricsServer(registry, metricsAddress);
  console.log(`kiln build worker: arch ${arch}, task queue ${worker.options.taskQueue} on ${config.temporal.address}, up to ${concurrency} builds at once`);
  if (metricsServer) console.log(`kiln build worker: metrics on ${metricsServer.url}`);
  await worker.run();
  await metricsServer?.close();
  await connection.close();
});
