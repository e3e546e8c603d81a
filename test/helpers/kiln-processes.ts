import * as fs from 'node:fs';
import * as path from 'node:path';
import { docker } from '../../activities/docker/engine';
import { ensureLocalWorkerToken } from '../../api/auth/local-worker-token';
import { loadConfig } from '../../domain/config';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { TemporalDevServer } from '../../workers/lib/temporal-dev-server';
import { freePort } from './ports';
import { WatchedProcess } from './watched-process';

// Kiln's compiled worker processes (dist/, built by `npm test` before vitest) as real children of the test, each one
// killable by its own pid, with their output kept for diagnosis. Crash tests kill and restart them at will.

export interface ProcessConfigTree {
  name: string;
  url: string;
  architectures?: string[];
  concurrency?: number;
  /** Default: [main]. */
  branches?: string[];
  /** Default: the config's default (on). */
  installTest?: boolean;
}

/** A config file for worker processes that connect to a Temporal server the test runs (not an embedded one). */
export function writeProcessConfig(file: string, options: { dataDir: string; temporalAddress: string; apiPort: number; keysDir?: string; trees: ProcessConfigTree[] }): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, [
    `dataDir: ${options.dataDir}`,
    `temporal: { address: "${options.temporalAddress}", embedded: false }`,
    // The API: build workers exchange blobs and logs through it (api.host defaults to loopback).
    `api: { port: ${options.apiPort} }`,
    ...(options.keysDir ? [`signer: { keysDir: ${options.keysDir} }`] : []),
    'trees:',
    ...options.trees.flatMap((t) => [
      `  - name: ${t.name}`,
      `    url: ${t.url}`,
      '    format: deb',
      '    distribution: bookworm',
      `    branches: [${(t.branches ?? ['main']).join(', ')}]`,
      `    architectures: [${(t.architectures ?? ['amd64']).join(', ')}]`,
      `    build: { concurrency: ${t.concurrency ?? 2}, timeoutMinutes: 10, memoryMb: 1024, cpus: 1${t.installTest === undefined ? '' : `, installTest: ${t.installTest}`} }`,
    ]),
  ].join('\n') + '\n');
  return file;
}

/** The compiled worker scripts must be there (`npm test` builds them before vitest; `npm run build` by hand). */
export function requireCompiledWorkers(): void {
  for (const script of ['workers/orchestrator.js', 'workers/build.js', 'workers/signer.js', 'api/server.js']) {
    if (!fs.existsSync(path.join(PROJECT_ROOT, 'dist', script))) throw new Error(`dist/${script} is missing: run \`npm run build\` first`);
  }
}

/** A Temporal dev server of the test's own, on a SQLite file under `dir`: crash tests stop and kill it at will. */
export async function ownTemporalServer(dir: string): Promise<TemporalDevServer> {
  const server = new TemporalDevServer({
    dbFile: path.join(dir, 'temporal', 'temporal.db'),
    logFile: path.join(dir, 'temporal', 'temporal.log'),
    port: await freePort(),
    uiPort: await freePort(),
  });
  await server.start();
  return server;
}

/** One compiled Kiln process (`dist/<script>`). */
export class KilnProcess extends WatchedProcess {
  constructor(name: string, script: string, args: string[]) {
    super(name, process.execPath, [path.join(PROJECT_ROOT, 'dist', script), ...args]);
  }

  /** Its output, without the Temporal client's retry warnings beyond the first few (a stopped server floods them). */
  transcript(maxLines = 200): string {
    let retries = 0;
    const body = this.tail(maxLines, (l) => !/gRPC call .* retried \d+ times/.test(l) || ++retries <= 3);
    return `----- ${this.name} (pid ${this.pid})${retries > 3 ? `, ${retries - 3} more gRPC retry warnings left out` : ''} -----\n${body}`;
  }
}

/** The orchestrator, build workers and signer of one config, started and killed one by one; every process ever started is kept. */
export class KilnProcesses {
  readonly started: KilnProcess[] = [];
  private readonly counters = new Map<string, number>();

  constructor(readonly configFile: string) {}

  private spawn(kind: string, script: string, extra: string[] = []): KilnProcess {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    const proc = new KilnProcess(`${kind}#${n}`, script, ['--config', this.configFile, ...extra]);
    this.started.push(proc);
    return proc;
  }

  /** `dist/workers/orchestrator.js`; resolves once it polls its task queue. */
  async orchestrator(): Promise<KilnProcess> {
    const proc = this.spawn('orchestrator', 'workers/orchestrator.js');
    await proc.waitFor(/kiln orchestrator: task queue kiln/, 120_000);
    return proc;
  }

  /** `dist/workers/signer.js`: publishing a push needs its Release signed (keys must exist in signer.keysDir). */
  async signer(): Promise<KilnProcess> {
    const proc = this.spawn('signer', 'workers/signer.js');
    await proc.waitFor(/kiln signer: task queue sign/, 120_000);
    return proc;
  }

  /** `dist/api/server.js`: the build workers' blob and log exchange (and the served repositories). */
  async api(): Promise<KilnProcess> {
    const proc = this.spawn('api', 'api/server.js');
    await proc.waitFor(/kiln api: listening on/, 120_000);
    return proc;
  }

  /**
   * `dist/workers/build.js --arch <arch>` with the data dir's local worker token (made here, as `npm start` does);
   * resolves once it polls build-<arch> (orphans are reaped before that).
   */
  async buildWorker(arch = 'amd64'): Promise<KilnProcess> {
    await ensureLocalWorkerToken(loadConfig(this.configFile).dataDir);
    const proc = this.spawn(`build-${arch}`, 'workers/build.js', ['--arch', arch]);
    await proc.waitFor(new RegExp(`kiln build worker: arch ${arch}, task queue`), 120_000);
    return proc;
  }

  latest(prefix: string): KilnProcess | undefined {
    return [...this.started].reverse().find((p) => p.name.startsWith(prefix));
  }

  transcript(): string {
    return this.started.map((p) => p.transcript()).join('\n');
  }

  /** SIGTERM every live process (they drain and exit), SIGKILL after the grace period; then remove the build
   * containers any of them left behind (matched by the worker-pid label, so other tests' containers are untouched). */
  async stopAll(graceMs = 15_000): Promise<void> {
    await Promise.all(this.started.map((p) => p.kill('SIGTERM', graceMs)));
    const pids = this.started.map((p) => String(p.pid));
    const left = await docker().listContainers({ all: true, filters: { label: ['org.kiln.worker-pid'] } });
    for (const c of left.filter((info) => pids.includes(info.Labels['org.kiln.worker-pid']))) {
      await docker().getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
  }
}

/** Build containers a worker process started and that still exist (running or not). */
export async function containersOf(workerPid: number): Promise<Array<{ id: string; key: string; state: string }>> {
  const list = await docker().listContainers({ all: true, filters: { label: [`org.kiln.worker-pid=${workerPid}`] } });
  return list.map((c) => ({ id: c.Id, key: c.Labels['org.kiln.build-key'], state: c.State }));
}

/**
 * Build containers the engine creates (by their build-key label), watched live from `start()` on: the engine's own
 * event log replays only its last 256 events, which a push with install tests (execs, network changes) outgrows.
 */
export class ContainerCreations {
  private readonly seen: Array<{ key: string; at: number }> = [];
  private constructor(private readonly stream: NodeJS.ReadableStream & { destroy?: () => void }) {
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        const event = JSON.parse(line) as { timeNano?: number; Actor?: { Attributes?: Record<string, string> } };
        const key = event.Actor?.Attributes?.['org.kiln.build-key'];
        if (key) this.seen.push({ key, at: (event.timeNano ?? 0) / 1e6 });
      }
    });
  }

  static async start(): Promise<ContainerCreations> {
    const stream = await docker().getEvents({ filters: { type: ['container'], event: ['create'], label: ['org.kiln.build-key'] } });
    return new ContainerCreations(stream as NodeJS.ReadableStream & { destroy?: () => void });
  }

  /** Containers created per key since `since` (the events of the last moment are waited for). */
  async counts(keys: string[], since: Date): Promise<Map<string, number>> {
    await new Promise((r) => setTimeout(r, 500));
    const counts = new Map(keys.map((k) => [k, 0]));
    for (const { key, at } of this.seen) if (at >= since.getTime() - 1000 && counts.has(key)) counts.set(key, counts.get(key)! + 1);
    return counts;
  }

  /** Containers created for `key` after the moment `after` (ms since the epoch). */
  createdAfter(key: string, after: number): number {
    return this.seen.filter((s) => s.key === key && s.at > after).length;
  }

  stop(): void {
    this.stream.destroy?.();
  }
}
