import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PushStatus } from '../push';
import type { Registry } from './metrics';

// Push and build counts from the push records on disk (records/<tree>/<branch>/<commit>.json, written by the
// orchestrator at each change of a push's state). The API serves them, so one scrape of the API shows builds by
// state and arch without scraping any worker. A record is as fresh as its push's last state change: builds that
// started since are still `waiting` in it (the workers' kiln_builds_in_progress shows those).

export interface RecordCounts {
  /** `tree\u0000state` → pushes. */
  pushes: Map<string, number>;
  /** `tree\u0000arch\u0000state` → builds. */
  builds: Map<string, number>;
  unreadable: number;
}

/** A build's state as the metric reports it: a succeeded build that reused an existing one is `cached`. */
function buildState(build: PushStatus['builds'][number]): string {
  return build.state === 'succeeded' && build.cached ? 'cached' : build.state;
}

function add(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** What one record contributes: its push's state, and each of its builds' states. */
export function countRecord(record: PushStatus, into: RecordCounts): void {
  const tree = record.push.tree;
  add(into.pushes, `${tree}\u0000${record.state}`);
  for (const build of record.builds ?? []) add(into.builds, `${tree}\u0000${build.arch}\u0000${buildState(build)}`);
}

interface Cached {
  ino: number;
  mtimeMs: number;
  size: number;
  record?: PushStatus;
}

/**
 * Reads every push record under `recordsDir` (not the `.plan.json` files, not temp files), re-parsing only the files
 * whose inode, size or mtime changed since the previous scan (records are replaced by rename): a scrape every few
 * seconds stays cheap with thousands of pushes.
 */
export class PushRecordScanner {
  private readonly cache = new Map<string, Cached>();

  constructor(readonly recordsDir: string) {}

  async scan(): Promise<RecordCounts> {
    const counts: RecordCounts = { pushes: new Map(), builds: new Map(), unreadable: 0 };
    const seen = new Set<string>();
    for (const file of await listRecords(this.recordsDir)) {
      let stat: fs.Stats;
      try {
        stat = await fs.promises.stat(file);
      } catch {
        continue; // removed between listing and reading
      }
      seen.add(file);
      let entry = this.cache.get(file);
      if (!entry || entry.ino !== stat.ino || entry.mtimeMs !== stat.mtimeMs || entry.size !== stat.size) {
        entry = { ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size, record: await readRecord(file) };
        this.cache.set(file, entry);
      }
      if (entry.record) countRecord(entry.record, counts);
      else counts.unreadable++;
    }
    for (const file of this.cache.keys()) if (!seen.has(file)) this.cache.delete(file);
    return counts;
  }
}

async function readRecord(file: string): Promise<PushStatus | undefined> {
  try {
    const record = JSON.parse(await fs.promises.readFile(file, 'utf8')) as PushStatus;
    if (typeof record?.push?.tree !== 'string' || typeof record.state !== 'string' || !Array.isArray(record.builds)) return undefined;
    return record;
  } catch {
    return undefined;
  }
}

async function listRecords(dir: string): Promise<string[]> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...await listRecords(full));
    else if (entry.isFile() && entry.name.endsWith('.json') && !entry.name.endsWith('.plan.json')) files.push(full);
  }
  return files;
}

/** Registers kiln_pushes, kiln_push_builds and kiln_push_records_unreadable, recomputed from disk at each scrape. */
export function pushRecordMetrics(registry: Registry, recordsDir: string): PushRecordScanner {
  const scanner = new PushRecordScanner(recordsDir);
  const pushes = registry.gauge({
    name: 'kiln_pushes',
    help: 'Pushes recorded on disk, by tree and state (planning, building, failed, publishing, succeeded, cancelling, cancelled, superseded).',
    labels: ['tree', 'state'],
  });
  const builds = registry.gauge({
    name: 'kiln_push_builds',
    help: 'Builds of the pushes recorded on disk, by tree, arch and state (waiting, blocked, building, succeeded, cached, failed, '
      + 'cancelled), as of each push\'s last state change.',
    labels: ['tree', 'arch', 'state'],
  });
  const unreadable = registry.gauge({
    name: 'kiln_push_records_unreadable',
    help: 'Push record files that could not be parsed at the last scrape.',
  });
  registry.onCollect(async () => {
    const counts = await scanner.scan();
    pushes.reset();
    builds.reset();
    for (const [key, n] of counts.pushes) {
      const [tree, state] = key.split('\u0000');
      pushes.set({ tree, state }, n);
    }
    for (const [key, n] of counts.builds) {
      const [tree, arch, state] = key.split('\u0000');
      builds.set({ tree, arch, state }, n);
    }
    unreadable.set({}, counts.unreadable);
  });
  return scanner;
}
