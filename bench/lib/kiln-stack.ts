import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { checkDockerEngine, requireImage } from '../../activities/docker/engine';
import { checkSandboxSupport } from '../../activities/docker/sandbox';
import { readWorkerToken } from '../../activities/exchange/blob-client';
import { generateSignerKeys, loadSignerKeys } from '../../activities/signer/signer-keys';
import type { WorkerBuildRequest } from '../../activities/builder/build-request';
import { buildApp } from '../../api/app';
import { ensureLocalWorkerToken } from '../../api/auth/local-worker-token';
import { requestPush } from '../../api/intake/request-push';
import { builderImageTag } from '../../domain/builder-image';
import { parseConfig, type KilnConfig } from '../../domain/config';
import { KDF_LIMITS_INTERACTIVE } from '../../domain/signing/minisign';
import { TemporalDevServer } from '../../workers/lib/temporal-dev-server';
import { workflowsPath } from '../../workers/lib/workflow-source';
import { createBuildWorker } from '../../workers/build-worker';
import { createOrchestratorWorker } from '../../workers/orchestrator-worker';
import { createSignerWorker } from '../../workers/signer-worker';
import { createNoopBuildWorker } from './noop-build-worker';

// Kiln for the orchestration benchmarks, in this process: a Temporal dev server of its own, the API (real intake),
// the orchestrator and the signer as Kiln runs them, and the no-op build backend on every arch the trees use (or,
// with `realBuilds`, Kiln's own Docker build worker).

export interface BenchTree {
  name: string;
  url: string;
  branches: string[];
  architectures: string[];
  concurrency: number;
  /** The environment variable holding the tree's webhook secret (the caller sets it): the tree takes webhooks. */
  webhookSecretEnv?: string;
}

export interface KilnStackOptions {
  /** No-op backend only: called when a build starts. */
  onBuildStart?: (job: WorkerBuildRequest) => void;
  /** No-op backend only: how long each build takes (a sleep). */
  buildMs?: (job: WorkerBuildRequest) => number;
  buildSlots?: number;
  /** Kiln's real build worker (one container per build, the machine's Docker engine) instead of the no-op backend. */
  realBuilds?: boolean;
}

export interface KilnStack {
  config: KilnConfig;
  client: Client;
  apiUrl: string;
  temporal: TemporalDevServer;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startKiln(dir: string, trees: BenchTree[], options: KilnStackOptions = {}): Promise<KilnStack> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  }
  fs.mkdirSync(dir, { recursive: true });
  const temporal = new TemporalDevServer({
    dbFile: path.join(dir, 'temporal.db'), port: await freePort(), uiPort: await freePort(), logFile: path.join(dir, 'temporal.log'),
  });
  await temporal.start();
  const config = parseConfig([
    `dataDir: ${path.join(dir, 'data')}`,
    `temporal: { address: "${temporal.address}", embedded: false }`,
    'trees:',
    ...trees.flatMap((t) => [
      `  - name: ${t.name}`,
      `    url: ${t.url}`,
      '    format: deb',
      '    distribution: bookworm',
      `    branches: [${t.branches.join(', ')}]`,
      `    architectures: [${t.architectures.join(', ')}]`,
      `    build: { concurrency: ${t.concurrency}, installTest: false, minFreeMb: 0 }`,
      ...(t.webhookSecretEnv ? [`    webhook: { secretEnv: ${t.webhookSecretEnv} }`] : []),
    ]),
  ].join('\n'), dir);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const workerConnection = await NativeConnection.connect({ address: temporal.address });
  const app = buildApp({
    config, health: { temporal: async () => undefined, docker: async () => undefined },
    intake: (push, requestedBy) => requestPush(client, push, requestedBy),
  });
  const apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const token = readWorkerToken(await ensureLocalWorkerToken(config.dataDir));
  await generateSignerKeys(config.signer.keysDir, { kdfLimits: KDF_LIMITS_INTERACTIVE, openpgpS2kCount: 65536 });
  const arches = [...new Set(trees.flatMap((t) => t.architectures))];
  const buildSlots = options.buildSlots ?? Math.max(...trees.map((t) => t.concurrency));
  if (options.realBuilds) await checkBuilders(config, arches);
  const workers: Worker[] = [
    await createSignerWorker({ connection: workerConnection, namespace: 'default', keys: await loadSignerKeys(config.signer.keysDir), config }),
    await createOrchestratorWorker({
      connection: workerConnection, namespace: 'default', config,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('ERROR') }),
    }),
    ...(await Promise.all(arches.map((arch) => (options.realBuilds
      // As Kiln's build worker process makes it (workers/build.ts), minus metrics and orphan reaping.
      ? createBuildWorker({
        connection: workerConnection, namespace: 'default', arch, endpoint: { apiUrl, token },
        cacheDir: path.join(config.dataDir, 'worker-cache', arch), maxConcurrentBuilds: buildSlots,
      })
      : createNoopBuildWorker({
        connection: workerConnection, namespace: 'default', arch, endpoint: { apiUrl, token }, dir: path.join(dir, 'noop', arch),
        maxConcurrentBuilds: buildSlots, onStart: options.onBuildStart, buildMs: options.buildMs,
      }))))),
  ];
  const running = workers.map((w) => w.run());
  return {
    config, client, apiUrl, temporal,
    async stop() {
      for (const w of workers) w.shutdown();
      await Promise.allSettled(running);
      await app.close();
      await workerConnection.close();
      await connection.close();
      await temporal.stop();
    },
  };
}

/** What workers/build.ts checks before it serves builds: the engine, each builder image, the disk cap. */
async function checkBuilders(config: KilnConfig, arches: string[]): Promise<void> {
  await checkDockerEngine();
  for (const arch of arches) {
    for (const tree of config.trees.filter((t) => (t.architectures as readonly string[]).includes(arch))) {
      const image = builderImageTag(tree.distribution, arch, undefined, tree.format);
      await requireImage(image);
      await checkSandboxSupport(image);
    }
  }
}
