// Process entry: a build worker for one architecture (task queue build-<arch>). Runs on any machine with Docker:
// it needs only Temporal's address, Kiln's API URL and a worker token; it shares no disk with the orchestrator.
//
//   node dist/workers/build.js --arch arm64 --temporal kiln.example.org:7233 --api https://kiln.example.org \
//     --token-file /etc/kiln/worker.token [--cache-dir /var/cache/kiln-worker/arm64] [--namespace default]
//     [--tls-ca ca.pem [--tls-cert client.pem --tls-key client.key] [--tls-server-name name]]
//
// With --config (the embedded default, `npm start`): Temporal and the API from that file, the token
// <dataDir>/worker.token and the cache <dataDir>/worker-cache/<arch> unless given.
import * as path from 'node:path';
import { BlobClient, readWorkerToken } from '../activities/exchange/blob-client';
import { checkDockerEngine } from '../activities/docker/engine';
import { reapOrphanedBuilds } from '../activities/docker/reap-orphans';
import { localWorkerTokenFile } from '../api/auth/local-worker-token';
import type { TemporalConfig } from '../domain/config';
import { KilnError } from '../domain/errors';
import { buildMetrics, processMetrics } from '../domain/observability/kiln-metrics';
import { Registry } from '../domain/observability/metrics';
import { createBuildWorker } from './build-worker';
import { checkBuilderImages, configuredBuilderImages } from './lib/builder-images';
import { keepWorkerStatus } from './lib/worker-status';
import { installRuntimeLogger } from './lib/logger';
import { metricsListenAddress, startMetricsServer } from './lib/metrics-server';
import { connectTemporal, loadProcessConfig, processArgs, runMain } from './lib/process';

const DEFAULT_CACHE_ROOT = '/var/cache/kiln-worker';

runMain('build worker', async () => {
  const { configFile, values } = processArgs({
    arch: { type: 'string' }, 'metrics-port': { type: 'string' }, temporal: { type: 'string' }, namespace: { type: 'string' },
    api: { type: 'string' }, 'token-file': { type: 'string' }, 'cache-dir': { type: 'string' }, 'cache-max-mb': { type: 'string' },
    concurrency: { type: 'string' }, 'tls-ca': { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' },
    'tls-server-name': { type: 'string' },
  });
  const opt = (name: string, env: string): string | undefined => (values[name] as string | undefined) ?? (process.env[env] || undefined);
  const metricsAddress = metricsListenAddress(values['metrics-port'] as string | undefined);
  const arch = opt('arch', 'KILN_BUILD_ARCH');
  if (!arch || !/^[a-z0-9][a-z0-9_-]*$/.test(arch)) throw new KilnError('CONFIG_INVALID', `--arch names the architecture this worker builds (amd64, i386, arm64...), got ${arch ?? 'nothing'}`);
  const remote = opt('temporal', 'KILN_TEMPORAL_ADDRESS');

  let temporal: TemporalConfig;
  let apiUrl: string;
  let tokenFile: string;
  let cacheDir: string;
  let images: string[] | undefined;
  let concurrency: number | undefined;
  if (remote) {
    // On another machine: no Kiln config here; the API says what this arch builds with.
    const ca = opt('tls-ca', 'KILN_TEMPORAL_TLS_CA');
    const cert = opt('tls-cert', 'KILN_TEMPORAL_TLS_CERT');
    const key = opt('tls-key', 'KILN_TEMPORAL_TLS_KEY');
    const serverName = opt('tls-server-name', 'KILN_TEMPORAL_TLS_SERVER_NAME');
    if (!ca && (cert || key || serverName)) throw new KilnError('CONFIG_INVALID', '--tls-cert, --tls-key and --tls-server-name need --tls-ca (the CA of Temporal\'s server certificate)');
    temporal = {
      address: remote, namespace: opt('namespace', 'KILN_TEMPORAL_NAMESPACE') ?? 'default', uiUrl: '', embedded: false,
      // mTLS to a Temporal server that requires client certificates (docs/SECURITY.md): the files are read at connect.
      ...(ca ? { tls: { caFile: path.resolve(ca), ...(cert ? { certFile: path.resolve(cert) } : {}), ...(key ? { keyFile: path.resolve(key) } : {}), ...(serverName ? { serverName } : {}) } } : {}),
    };
    apiUrl = required(opt('api', 'KILN_API_URL'), '--api (Kiln\'s API URL)');
    tokenFile = required(opt('token-file', 'KILN_WORKER_TOKEN_FILE'), '--token-file (a file holding the worker token)');
    cacheDir = opt('cache-dir', 'KILN_WORKER_CACHE_DIR') ?? path.join(DEFAULT_CACHE_ROOT, arch);
  } else {
    const config = loadProcessConfig(configFile);
    const known: string[] = [...new Set(config.trees.flatMap((t) => t.architectures))];
    if (!known.includes(arch)) throw new KilnError('CONFIG_INVALID', `--arch must be one of the configured architectures (${known.join(', ')}), got ${arch}`);
    temporal = config.temporal;
    const host = ['0.0.0.0', '::', ''].includes(config.api.host) ? '127.0.0.1' : config.api.host;
    apiUrl = opt('api', 'KILN_API_URL') ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.api.port}`;
    tokenFile = opt('token-file', 'KILN_WORKER_TOKEN_FILE') ?? localWorkerTokenFile(config.dataDir);
    cacheDir = opt('cache-dir', 'KILN_WORKER_CACHE_DIR') ?? path.join(config.dataDir, 'worker-cache', arch);
    images = configuredBuilderImages(config, arch);
    concurrency = Math.max(...config.trees.map((t) => t.build.concurrency));
  }
  const endpoint = { apiUrl, token: readWorkerToken(tokenFile) };
  await checkDockerEngine();
  if (!images) {
    const setup = await untilApiAnswers(() => new BlobClient(endpoint).workerSetup(arch), apiUrl);
    images = setup.images;
    concurrency = setup.concurrency;
  }
  // Every builder image this arch's trees build with (their suite and format), each checked for the disk cap.
  await checkBuilderImages(images);
  const flag = values.concurrency as string | undefined;
  if (flag !== undefined) concurrency = positive(flag, '--concurrency');
  await reapOrphanedBuilds((line) => console.log(`kiln build worker: ${line}`));
  installRuntimeLogger(`build-${arch}`);
  const registry = new Registry();
  processMetrics(registry);
  const connection = await connectTemporal(temporal);
  const cacheMax = values['cache-max-mb'] as string | undefined;
  const worker = await createBuildWorker({
    connection, namespace: temporal.namespace, arch, endpoint, cacheDir, maxConcurrentBuilds: concurrency,
    ...(cacheMax !== undefined ? { cacheMaxMb: positive(cacheMax, '--cache-max-mb') } : {}),
    metrics: buildMetrics(registry),
  });
  const metricsServer = metricsAddress && await startMetricsServer(registry, metricsAddress);
  console.log(`kiln build worker: arch ${arch}, task queue ${worker.options.taskQueue} on ${temporal.address}, API ${apiUrl}, cache ${cacheDir}, up to ${concurrency ?? 2} builds at once`);
  if (metricsServer) console.log(`kiln build worker: metrics on ${metricsServer.url}`);
  // For the healthcheck: a worker busy with all its builds polls nothing, and says so here.
  const stopStatus = keepWorkerStatus(worker, path.join(cacheDir, 'worker-status.json'), concurrency ?? 2);
  await worker.run();
  stopStatus();
  await metricsServer?.close();
  await connection.close();
});

function required(value: string | undefined, what: string): string {
  if (!value) throw new KilnError('CONFIG_INVALID', `a build worker without --config needs ${what}`);
  return value;
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new KilnError('CONFIG_INVALID', `${flag} must be a positive whole number, got ${text}`);
  return n;
}

/** The API may start after its workers (compose, a reboot): ask again for a minute before giving up. */
async function untilApiAnswers<T>(ask: () => Promise<T>, apiUrl: string): Promise<T> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      return await ask();
    } catch (err) {
      if ((err as { nonRetryable?: boolean }).nonRetryable || Date.now() > until) {
        throw new KilnError('CONFIG_INVALID', `Kiln's API at ${apiUrl} cannot tell this worker what it builds: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}
