import type { Worker } from '@temporalio/worker';
import { buildApp } from '../../api/app';
import type { KilnConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
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
export async function kilnWorkers(t: TemporalTestContext, config: KilnConfig): Promise<Worker[]> {
  const layout = new DataLayout(config.dataDir);
  const arches = [...new Set(config.trees.flatMap((tree) => tree.architectures))];
  await generateSignerKeys(config.signer.keysDir, { kdfLimits: KDF_LIMITS_INTERACTIVE, openpgpS2kCount: 65536 });
  const keys = await loadSignerKeys(config.signer.keysDir);
  return [
    await createSignerWorker({ connection: t.workerConnection, namespace: t.namespace, keys, config }),
    await createOrchestratorWorker({ connection: t.workerConnection, namespace: t.namespace, workflowBundle: await workflowBundle(), config }),
    ...(await Promise.all(arches.map((arch) => createBuildWorker({ connection: t.workerConnection, namespace: t.namespace, arch, layout, maxConcurrentBuilds: 2 })))),
  ];
}

export interface RunningKiln {
  /** The API's base URL (served repositories, REST API), when started with `serve`. */
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * kilnWorkers running, and with `serve` the API on a free loopback port (health checks stubbed: the test drives the
 * workers itself); `stop()` ends both. The Temporal test context stays the caller's.
 */
export async function runKiln(t: TemporalTestContext, config: KilnConfig, options: { serve?: boolean } = {}): Promise<RunningKiln> {
  const workers = await kilnWorkers(t, config);
  const running = workers.map((w) => w.run());
  const app = options.serve
    ? buildApp({ config, health: { temporal: async () => undefined, docker: async () => undefined }, intake: async () => ({ workflowId: '' }) })
    : undefined;
  const baseUrl = app ? await app.listen({ port: 0, host: '127.0.0.1' }) : '';
  return {
    baseUrl,
    async stop() {
      await app?.close();
      for (const w of workers) w.shutdown();
      await Promise.allSettled(running);
    },
  };
}
