import type { Worker } from '@temporalio/worker';
import { buildApp } from '../../api/app';
import type { KilnConfig } from '../../domain/config';
import * as path from 'node:path';
import { ensureLocalWorkerToken } from '../../api/auth/local-worker-token';
import { readWorkerToken } from '../../activities/exchange/blob-client';
import { generateSignerKeys, loadSignerKeys } from '../../activities/signer/signer-keys';
import { KDF_LIMITS_INTERACTIVE } from '../../domain/signing/minisign';
import { createBuildWorker } from '../../workers/build-worker';
import { createOrchestratorWorker } from '../../workers/orchestrator-worker';
import { createSignerWorker } from '../../workers/signer-worker';
import { workflowBundle, type TemporalTestContext } from './temporal';

/**
 * The orchestrator, one build worker per arch of the config and the signer (keys made in the config's keys dir, with
 * cheap key derivation), in this test process, on the shared server.
 */
export async function kilnWorkers(t: TemporalTestContext, config: KilnConfig, apiUrl: string, options: { buildWorkers?: boolean } = {}): Promise<Worker[]> {
  const arches = options.buildWorkers === false ? [] : [...new Set(config.trees.flatMap((tree) => tree.architectures))];
  const token = readWorkerToken(await ensureLocalWorkerToken(config.dataDir));
  await generateSignerKeys(config.signer.keysDir, { kdfLimits: KDF_LIMITS_INTERACTIVE, openpgpS2kCount: 65536 });
  const keys = await loadSignerKeys(config.signer.keysDir);
  return [
    await createSignerWorker({ connection: t.workerConnection, namespace: t.namespace, keys, config }),
    await createOrchestratorWorker({ connection: t.workerConnection, namespace: t.namespace, workflowBundle: await workflowBundle(), config }),
    ...(await Promise.all(arches.map((arch) => createBuildWorker({
      connection: t.workerConnection, namespace: t.namespace, arch, maxConcurrentBuilds: 2,
      endpoint: { apiUrl, token }, cacheDir: path.join(config.dataDir, 'worker-cache', arch),
    })))),
  ];
}

export interface RunningKiln {
  /** The API's base URL (served repositories, REST API, the build workers' exchange). */
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * The API on a free loopback port (health checks stubbed: the test drives the workers itself; build workers exchange
 * blobs and logs through it) and kilnWorkers running; `stop()` ends both. The Temporal test context stays the caller's.
 */
/** `buildWorkers: false`: the orchestrator and the signer only (the test runs its build workers elsewhere). */
export async function runKiln(t: TemporalTestContext, config: KilnConfig, options: { buildWorkers?: boolean } = {}): Promise<RunningKiln> {
  const app = buildApp({ config, health: { temporal: async () => undefined, docker: async () => undefined }, intake: async () => ({ workflowId: '' }) });
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const workers = await kilnWorkers(t, config, baseUrl, options);
  const running = workers.map((w) => w.run());
  return {
    baseUrl,
    async stop() {
      for (const w of workers) w.shutdown();
      await Promise.allSettled(running);
      await app.close();
    },
  };
}
