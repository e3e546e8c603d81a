import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonIfExists } from '../../domain/atomic-file';
import type { DataLayout } from '../../domain/data-layout';
import { emptyReport, MAX_EXAMPLES, type GcCategory, type GcReport } from '../../domain/gc-report';
import type { BuildRecord } from '../builder/build-package';
import { entries, freedBytes, mtimeMs } from './disk-usage';
import { findRoots, specId, type RunningPush } from './roots';

const DAY_MS = 24 * 3600_000;
const DIGEST = /^[0-9a-f]{64}$/;
const TREE_HASH = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

export interface CollectOptions {
  dryRun: boolean;
  /** retention.logsDays: build records, push records and logs unused this long go (unless a root holds them). */
  logsDays: number;
  /** Pushes running now (from Temporal): what they need stays. */
  running: readonly RunningPush[];
  /** Start of the oldest running workflow that works on disk (a build, a publish), when older than every push. */
  workStartedAt?: Date;
  /**
   * Unreferenced things younger than this stay: a result uploaded but not yet recorded, a WIP view a build is
   * about to fetch, a recipe a push is planning with. Default 24 h.
   */
  graceMs?: number;
  /** Work dirs younger than this stay (a build may still use its own): the longest build timeout and an hour. */
  workGraceMs?: number;
  now?: Date;
  /** Called now and then on long collections (the activity heartbeats). */
  progress?: () => void;
}

/**
 * One garbage collection of the data dir (docs/OPERATIONS.md "Disk"). Roots first: kept snapshots and running pushes
 * (their plans and WIP repositories). Build records stay while used within `logsDays` or held by a root; store files
 * while a kept record, snapshot or recipe archive names them. Everything unreferenced also stays while it is young:
 * younger than the grace period, or than the oldest running push (whatever a push touches, it touches after it
 * started, and reusing a record, a recipe export or a stored blob touches it). Each removal checks the age again
 * first, so what was used while the collection ran stays.
 */
export async function collectGarbage(layout: DataLayout, options: CollectOptions): Promise<GcReport> {
  const now = options.now ?? new Date();
  const report = emptyReport(options.dryRun, now);
  const beat = options.progress ?? (() => undefined);
  const oldestRunning = Math.min(now.getTime(), options.workStartedAt?.getTime() ?? Infinity, ...options.running.map((r) => r.startedAt.getTime()));
  const graceCutoff = Math.min(now.getTime() - (options.graceMs ?? DAY_MS), oldestRunning);
  const logsCutoff = Math.min(now.getTime() - options.logsDays * DAY_MS, graceCutoff);
  const workCutoff = Math.min(now.getTime() - Math.max(options.workGraceMs ?? DAY_MS, options.graceMs ?? DAY_MS), oldestRunning);

  const roots = await findRoots(layout, options.running);
  report.runningPushes = options.running.length;
  report.keptSnapshots = roots.keptSnapshots;
  const liveDigests = new Set(roots.digests);
  const livePushes = new Set(roots.pushes);
  const doomed: Array<{ category: GcCategory; target: string; cutoff: number }> = [];

  // Build records (and what hangs off a key: its install-test record, a leftover lock).
  const buildsDir = path.join(layout.root, 'builds');
  for (const entry of await entries(buildsDir)) {
    const file = path.join(buildsDir, entry.name);
    const match = /^(.+)\.(json|lock)$/.exec(entry.name);
    if (!entry.isFile() || !match) continue;
    const [, key, kind] = match;
    const mtime = await mtimeMs(file);
    if (mtime === undefined) continue;
    if (kind === 'lock') {
      if (mtime < workCutoff && !fs.existsSync(layout.buildRecord(key))) doomed.push({ category: 'buildRecords', target: file, cutoff: workCutoff });
      continue;
    }
    const record = await readJsonIfExists<BuildRecord>(file).catch(() => undefined);
    const held = roots.keys.has(key) || (record?.spec !== undefined && roots.specs.has(specId(record.spec.tree, record.spec)));
    if (held || mtime >= logsCutoff || !record) {
      // A record that does not parse is left for a person to look at, never guessed about.
      for (const f of [...(record?.files ?? []), ...(record?.artifacts ?? [])]) liveDigests.add(f.sha256);
      const logPush = record?.log && pushDirOfLog(layout, record.log);
      if (logPush) livePushes.add(logPush);
      continue;
    }
    doomed.push({ category: 'buildRecords', target: file, cutoff: logsCutoff });
    const installTest = layout.installTestRecord(key);
    if (fs.existsSync(installTest)) doomed.push({ category: 'buildRecords', target: installTest, cutoff: logsCutoff });
    beat();
  }

  // Pushes: record, plan and logs go together, once nothing holds the push and it is older than logsDays.
  const pushes = new Map<string, number>();
  for (const [base, depthSuffix] of [['records', '.json'], ['logs', '']] as const) {
    for (const dir of await pushDirs(path.join(layout.root, base), depthSuffix)) {
      const mtime = await mtimeMs(path.join(layout.root, base, dir + depthSuffix)) ?? 0;
      pushes.set(dir, Math.max(pushes.get(dir) ?? 0, mtime));
    }
  }
  for (const [dir, mtime] of pushes) {
    if (livePushes.has(dir) || mtime >= logsCutoff) continue;
    for (const file of [`${dir}.json`, `${dir}.plan.json`]) {
      const target = path.join(layout.root, 'records', file);
      if (fs.existsSync(target)) doomed.push({ category: 'pushRecords', target, cutoff: logsCutoff });
    }
    const logs = path.join(layout.root, 'logs', dir);
    if (fs.existsSync(logs)) doomed.push({ category: 'logs', target: logs, cutoff: logsCutoff });
  }

  // WIP repositories: a finished push's is of no use (published packages are in the store and the snapshot).
  const runningDirs = new Set(options.running.map((r) => layout.pushDir(r.push)));
  for (const dir of await pushDirs(path.join(layout.root, 'wip'), '')) {
    if (runningDirs.has(dir)) continue;
    const target = path.join(layout.root, 'wip', dir);
    if ((await mtimeMs(target) ?? Infinity) < graceCutoff) doomed.push({ category: 'wip', target, cutoff: graceCutoff });
  }

  // Work dirs: a build cleans its own; what is left is from a crash (or a build that is past its timeout).
  const workDir = path.join(layout.root, 'work');
  for (const entry of await entries(workDir)) {
    const target = path.join(workDir, entry.name);
    if ((await mtimeMs(target) ?? Infinity) < workCutoff) doomed.push({ category: 'work', target, cutoff: workCutoff });
  }

  // Recipe exports and their archives: made again by the next push that plans the same tree hash.
  const recipesDir = path.join(layout.root, 'recipes');
  for (const tree of await entries(recipesDir)) {
    if (!tree.isDirectory()) continue;
    const dir = path.join(recipesDir, tree.name);
    for (const entry of await entries(dir)) {
      const target = path.join(dir, entry.name);
      const hash = entry.name.replace(/\.archive\.json$/, '');
      const mtime = await mtimeMs(target) ?? Infinity;
      if (TREE_HASH.test(hash) && roots.recipes.has(`${tree.name}/${hash}`)) {
        if (entry.name.endsWith('.archive.json')) await keepArchive(target, liveDigests);
        continue;
      }
      // An export and its archive record go together: the one that is younger keeps both.
      const partner = TREE_HASH.test(hash) ? path.join(dir, entry.name === hash ? `${hash}.archive.json` : hash) : undefined;
      const newest = Math.max(mtime, partner ? await mtimeMs(partner) ?? 0 : 0);
      if (newest < graceCutoff) doomed.push({ category: 'recipes', target, cutoff: graceCutoff });
      else if (entry.name.endsWith('.archive.json')) await keepArchive(target, liveDigests);
    }
  }

  // Shared pools (repos/<tree>/<branch>/pool): a file no kept or staging snapshot lists, once it is old enough (a
  // pool file is a link to its store file: they share the times a reuse touches). Before the store, whose files'
  // space comes back only when their pool links go too.
  for (const [branchDir, listed] of roots.poolPaths) {
    const pool = path.join(branchDir, 'pool');
    for (const file of await poolFiles(pool)) {
      if (listed.has(path.relative(branchDir, file).split(path.sep).join('/'))) continue;
      if ((await mtimeMs(file) ?? Infinity) < graceCutoff) doomed.push({ category: 'pool', target: file, cutoff: graceCutoff });
    }
    beat();
  }

  // The store last: by now every kept record, snapshot and recipe archive has named its digests.
  for (const entry of await entries(layout.store)) {
    if (!entry.isFile()) continue;
    if (DIGEST.test(entry.name) && liveDigests.has(entry.name)) continue;
    const target = path.join(layout.store, entry.name);
    if ((await mtimeMs(target) ?? Infinity) < graceCutoff) doomed.push({ category: 'store', target, cutoff: graceCutoff });
  }

  for (const { category, target, cutoff } of doomed) {
    const mtime = await mtimeMs(target);
    // Gone meanwhile, or used since it was judged: it stays (and a removal counts only what it really removed).
    if (mtime === undefined || (!options.dryRun && mtime >= cutoff)) continue;
    const c = report.categories[category];
    c.bytes += await freedBytes(target);
    c.count++;
    if (c.examples.length < MAX_EXAMPLES) c.examples.push(path.relative(layout.root, target));
    if (!options.dryRun) await fs.promises.rm(target, { recursive: true, force: true });
    beat();
  }
  if (!options.dryRun) await removeEmptyDirs(layout);
  report.finishedAt = new Date().toISOString();
  return report;
}

async function keepArchive(file: string, live: Set<string>): Promise<void> {
  const ref = await readJsonIfExists<{ sha256?: unknown }>(file).catch(() => undefined);
  if (typeof ref?.sha256 === 'string') live.add(ref.sha256);
}

/** `<tree>/<branch segment>/<commit>` of the per-push entries under `base` (files ending `suffix`, or folders). */
async function pushDirs(base: string, suffix: string): Promise<string[]> {
  const out: string[] = [];
  for (const tree of await entries(base)) {
    if (!tree.isDirectory()) continue;
    for (const branch of await entries(path.join(base, tree.name))) {
      if (!branch.isDirectory()) continue;
      for (const entry of await entries(path.join(base, tree.name, branch.name))) {
        if (suffix ? !(entry.isFile() && entry.name.endsWith(suffix) && !entry.name.endsWith('.plan.json')) : !entry.isDirectory()) continue;
        out.push(path.join(tree.name, branch.name, suffix ? entry.name.slice(0, -suffix.length) : entry.name));
      }
    }
  }
  return out;
}

function pushDirOfLog(layout: DataLayout, log: string): string | undefined {
  const relative = path.relative(path.join(layout.root, 'logs'), log);
  const parts = relative.split(path.sep);
  return parts.length >= 4 && parts[0] !== '..' ? parts.slice(0, 3).join(path.sep) : undefined;
}

/** Per-branch folders left empty (the branch's last push record went): they would only pile up. */
async function removeEmptyDirs(layout: DataLayout): Promise<void> {
  for (const base of ['records', 'logs', 'wip']) {
    const root = path.join(layout.root, base);
    for (const tree of await entries(root)) {
      if (!tree.isDirectory()) continue;
      for (const branch of await entries(path.join(root, tree.name))) {
        if (branch.isDirectory()) await fs.promises.rmdir(path.join(root, tree.name, branch.name)).catch(() => undefined);
      }
      await fs.promises.rmdir(path.join(root, tree.name)).catch(() => undefined);
    }
  }
}

/** Every regular file below a shared pool folder (not following links: Kiln makes none inside it). */
async function poolFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await entries(d)) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile()) out.push(p);
    }
  };
  try {
    if (!(await fs.promises.lstat(dir)).isDirectory()) return out;
  } catch {
    return out;
  }
  await walk(dir);
  return out;
}
