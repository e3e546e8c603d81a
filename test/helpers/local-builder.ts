import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { ensureLocalWorkerToken } from '../../api/auth/local-worker-token';
import { runBuild, type BuildHooks, type WorkerExchange } from '../../activities/builder/build-package';
import { prepareBuild, recordBuild } from '../../activities/builder/build-record';
import type { BuildRequest } from '../../activities/builder/build-request';
import { BlobClient, readWorkerToken } from '../../activities/exchange/blob-client';
import { WorkerCache } from '../../activities/exchange/worker-cache';
import { prepareInstallTest, recordInstallTest, runInstallTest, type InstallTestHooks, type InstallTestRequest } from '../../activities/install-test/install-test';
import type { BuildOutcome } from '../../domain/build';
import { parseConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import type { InstallTestSummary } from '../../domain/install-test';

export interface LocalBuilder {
  layout: DataLayout;
  /** The build worker's cache (its work dirs are under `cache.work`). */
  cache: WorkerCache;
  apiUrl: string;
  /** prepare → run on the worker → record: the build workflow's steps, in this process, without Temporal. */
  build(request: BuildRequest, hooks?: BuildHooks): Promise<BuildOutcome>;
  installTest(request: InstallTestRequest, hooks?: InstallTestHooks): Promise<InstallTestSummary>;
  /** Store files that are build results (not recipe archives, WIP view manifests or their indexes). */
  storedResults(): string[];
  close(): Promise<void>;
}

/**
 * A data dir with Kiln's API on loopback and a build worker's exchange (token, cache) talking to it: the activity
 * tests build through the same blob exchange as a worker on another machine does. `trees`: name → branches and arches.
 */
export async function localBuilder(root: string, trees: Record<string, { branches: string[]; architectures: string[] }>): Promise<LocalBuilder> {
  const yaml = [
    `dataDir: ${root}`,
    'temporal: { address: "127.0.0.1:1", embedded: false }',
    'trees:',
    ...Object.entries(trees).flatMap(([name, t]) => [
      `  - name: ${name}`, `    url: ${path.join(root, 'no-such-tree')}`, '    format: deb', '    distribution: bookworm',
      `    branches: [${t.branches.map((b) => JSON.stringify(b)).join(', ')}]`, `    architectures: [${t.architectures.join(', ')}]`,
    ]),
  ].join('\n');
  const config = parseConfig(yaml, root, process.env);
  const layout = new DataLayout(root);
  const app: FastifyInstance = buildApp({ config, health: { temporal: async () => undefined, docker: async () => undefined }, intake: async () => ({ workflowId: '' }) });
  const apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const token = readWorkerToken(await ensureLocalWorkerToken(root));
  const client = new BlobClient({ apiUrl, token });
  const cache = new WorkerCache(path.join(root, 'worker-cache'), client, 4096 * 1048576);
  await cache.init();
  const exchange: WorkerExchange = { client, cache };
  return {
    layout, cache, apiUrl,
    async build(request, hooks) {
      const prepared = await prepareBuild(layout, request);
      if (prepared.cached) return prepared.outcome;
      if ('lowDisk' in prepared) throw new Error(`the test data dir is low on disk: ${JSON.stringify(prepared.lowDisk)}`);
      const result = await runBuild(exchange, prepared.build, hooks);
      return recordBuild(layout, request, result);
    },
    async installTest(request, hooks) {
      const prepared = await prepareInstallTest(layout, request);
      if ('passedBefore' in prepared) return prepared.passedBefore;
      const summary = await runInstallTest(exchange, prepared.job, hooks);
      await recordInstallTest(layout, request, summary);
      return summary;
    },
    storedResults() {
      if (!fs.existsSync(layout.store)) return [];
      const records = fs.existsSync(path.join(root, 'builds')) ? fs.readdirSync(path.join(root, 'builds')).filter((n) => n.endsWith('.json')) : [];
      const recorded = new Set(records.flatMap((n) => (JSON.parse(fs.readFileSync(path.join(root, 'builds', n), 'utf8')) as { files: Array<{ sha256: string }> }).files.map((f) => f.sha256)));
      return fs.readdirSync(layout.store).filter((n) => recorded.has(n)).sort();
    },
    async close() {
      await app.close();
    },
  };
}
