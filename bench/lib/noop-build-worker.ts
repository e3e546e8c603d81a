import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { BlobClient, type ExchangeEndpoint } from '../../activities/exchange/blob-client';
import type { WorkerBuildRequest, WorkerBuildResult } from '../../activities/builder/build-request';
import { buildTaskQueue } from '../../domain/task-queues';
import { syntheticDeb } from './synthetic-deb';

// The benchmarks' build backend, and nothing else's: a build worker that runs no container. For each build it makes
// the recipe's declared packages at once (tiny, valid .debs) and uploads them through the blob exchange like a real
// worker, so everything Kiln does around a build (prepare, schedule, validate, record, WIP repo, publish) is
// measured, and the build itself costs nothing. Only Debian trees.

export interface NoopBuildWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  arch: string;
  endpoint: ExchangeEndpoint;
  /** Scratch space for the packages before upload. */
  dir: string;
  maxConcurrentBuilds: number;
  /** Called when a build starts (for the benchmarks' timings). */
  onStart?: (job: WorkerBuildRequest) => void;
  /** How long the "build" takes (a sleep); default none: what is left is Kiln around it. */
  buildMs?: (job: WorkerBuildRequest) => number;
}

export async function createNoopBuildWorker(options: NoopBuildWorkerOptions): Promise<Worker> {
  const client = new BlobClient(options.endpoint);
  fs.mkdirSync(options.dir, { recursive: true });
  let n = 0;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: buildTaskQueue(options.arch),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentBuilds,
    activities: {
      async runBuild(job: WorkerBuildRequest): Promise<WorkerBuildResult> {
        options.onStart?.(job);
        const started = Date.now();
        const { request } = job;
        const sleep = options.buildMs?.(job) ?? 0;
        if (sleep > 0) await new Promise((resolve) => setTimeout(resolve, sleep));
        const results: WorkerBuildResult['results'] = [];
        for (const binary of request.binaries ?? [{ name: request.source, all: false }]) {
          if (binary.all ? request.scope === 'any' : request.scope === 'all') continue;
          const deb = syntheticDeb(binary.name, request.version, { architecture: binary.all ? 'all' : request.arch });
          const file = path.join(options.dir, `${++n}-${deb.file}`);
          fs.writeFileSync(file, deb.data);
          try {
            await client.upload(file, { sha256: deb.sha256, size: deb.data.length });
          } finally {
            fs.rmSync(file, { force: true });
          }
          results.push({ name: deb.file, sha256: deb.sha256, size: deb.data.length });
        }
        return { key: job.key, results, durationMs: Date.now() - started, worker: 'bench-noop' };
      },
    },
  });
}
