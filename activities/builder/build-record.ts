import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { readJsonIfExists, writeJsonAtomic } from '../../domain/atomic-file';
import type { BuildOutcome } from '../../domain/build';
import { buildKey } from '../../domain/build-key';
import { builderImageTag } from '../../domain/builder-image';
import { DIGEST_PATTERN, VIEW_PATH_PATTERN } from '../../domain/build-exchange';
import { checkResults } from './result-check';
import type { DataLayout } from '../../domain/data-layout';
import { ResultRejected } from '../../domain/formats/result-rejected';
import { formatOf } from '../../domain/formats/registry';
import { recipeArchive } from '../exchange/recipe-archive';
import { wipView } from '../exchange/wip-view';
import type { BuiltPackageEntry } from '../formats/format-io';
import { ArtifactStore } from '../store/artifact-store';
import { touch } from '../gc/disk-usage';
import { recordBuildDuration } from '../plan/build-durations';
import { lowDisk } from '../store/disk-space';
import { DEFAULT_BUILD } from '../../domain/config/defaults';
import { publishedLane } from '../wip/published-lanes';
import type { BuildRecord, BuildRequest, PreparedBuild, WorkerBuildResult } from './build-request';

// The orchestrator's half of a build: it owns the data dir. Before: is the key built already; else the recipe
// archive and the WIP view in the store, by digest. After: the uploaded results validated against the format and the
// recipe (they are hostile), and the record written. The build worker in between sees only digests and the API.

export async function prepareBuild(
  layout: DataLayout, request: BuildRequest, note: { waiting?: boolean; diskWaits?: number } = {},
): Promise<PreparedBuild> {
  const image = builderImageTag(request.suite, request.arch, undefined, request.format);
  const key = buildKey(request, image);
  const existing = await readJsonIfExists<BuildRecord>(layout.buildRecord(key));
  if (existing) {
    // Reused: garbage collection keeps records used within retention.logsDays (and since a running push started).
    await touch(layout.buildRecord(key));
    await appendLog(layout, request, `kiln: ${request.source} ${request.version} (${request.arch}) was already built as ${key}; reusing it\n`);
    return { key, cached: true, outcome: outcome(existing, true) };
  }
  // A build's results land in the data dir's store: with too little room it would fail half-written, or fill the
  // disk for everyone. It waits instead, saying so in its log once (and again every 10 minutes it still waits).
  const low = await lowDisk(layout.root, request.limits.minFreeMb ?? DEFAULT_BUILD.minFreeMb);
  if (low) {
    const waits = note.diskWaits ?? 0;
    if (waits % 20 === 0) {
      await appendLog(layout, request, `kiln: waiting for disk space: the data dir has ${low.freeMb} MiB free, below build.minFreeMb (${low.minFreeMb} MiB); the build starts once there is room\n`);
    }
    return { key, cached: false, lowDisk: low };
  }
  if ((note.diskWaits ?? 0) > 0) await appendLog(layout, request, 'kiln: the data dir has room again; the build starts\n');
  if (note.waiting) await appendLog(layout, request, `kiln: ${key} is being built by another push; waiting for it\n`);
  const format = formatOf(request.format);
  const recipe = await recipeArchive(layout, request.tree, request.treeHash);
  const wip = await wipView(layout, request.push, [request.arch, format.archIndependent, publishedLane(request.arch)]);
  return {
    key, cached: false,
    build: {
      request, key, inputs: { image, recipe, ...(wip ? { wip } : {}) },
      log: { push: request.push, source: request.source, arch: request.arch },
    },
  };
}

/**
 * Validate what a build worker uploaded and record the key as built. Everything is checked before the record is
 * written: a rejected build records nothing (its blobs stay unreferenced, for the store's garbage collection).
 */
export async function recordBuild(layout: DataLayout, request: BuildRequest, result: WorkerBuildResult): Promise<BuildOutcome> {
  const image = builderImageTag(request.suite, request.arch, undefined, request.format);
  const key = buildKey(request, image);
  if (result.key !== key) throw ApplicationFailure.nonRetryable(`the build worker answered for key ${result.key}, not ${key}`, 'BuildResultRejected');
  const existing = await readJsonIfExists<BuildRecord>(layout.buildRecord(key));
  if (existing) return outcome(existing, false); // an earlier attempt of this activity recorded it
  const store = new ArtifactStore(layout.store);
  let entries: Map<string, BuiltPackageEntry>;
  // Packages are read under their own names (a format's index may name the file): links in a private folder.
  const reading = layout.buildWork(`record-${key}`);
  await fs.promises.rm(reading, { recursive: true, force: true });
  await fs.promises.mkdir(reading, { recursive: true, mode: 0o700 });
  try {
    if (!Array.isArray(result.results)) throw new ResultRejected('the build worker sent no result list');
    const files: Array<{ name: string; file: string }> = [];
    for (const r of result.results) {
      if (typeof r.name !== 'string' || !VIEW_PATH_PATTERN.test(r.name) || r.name.includes('/')) throw new ResultRejected(`${JSON.stringify(r.name)} is not a result file name`);
      if (!DIGEST_PATTERN.test(r.sha256)) throw new ResultRejected(`${r.name} has no valid digest`);
      const stored = store.pathOf(r.sha256);
      const stat = await fs.promises.lstat(stored).catch(() => undefined);
      // The API checked the digest as the bytes arrived; what is missing was never uploaded whole.
      if (!stat?.isFile() || stat.size !== r.size) throw ApplicationFailure.nonRetryable(`result ${r.name} (sha256:${r.sha256}) is not in the store: the build worker did not upload it (retry the build)`, 'BuildResultMissing');
      const named = path.join(reading, r.name);
      if (fs.existsSync(named)) throw new ResultRejected(`${r.name} is listed twice`);
      await fs.promises.link(stored, named);
      files.push({ name: r.name, file: named });
    }
    entries = await checkResults(request, files);
  } catch (err) {
    if (!(err instanceof ResultRejected)) throw err;
    await appendLog(layout, request, `\n===== kiln: results rejected: ${err.message} =====\n`);
    throw ApplicationFailure.nonRetryable(`build results rejected: ${err.message}`, 'BuildResultRejected');
  } finally {
    await fs.promises.rm(reading, { recursive: true, force: true });
  }
  const record: BuildRecord = {
    key,
    spec: {
      tree: request.tree, ...(request.format ? { format: request.format } : {}), suite: request.suite, source: request.source,
      version: request.version, arch: request.arch, scope: request.scope, treeHash: request.treeHash,
      ...(request.withSource ? { withSource: true } : {}),
    },
    image,
    artifacts: [],
    files: result.results.map((r) => ({ name: r.name, sha256: r.sha256, size: r.size })),
    builtAt: new Date().toISOString(),
    durationMs: result.durationMs,
    log: layout.buildLog(request.push, request.source, request.arch),
  };
  for (const r of result.results) {
    const entry = entries.get(r.name);
    if (!entry) continue;
    record.artifacts.push({
      file: r.name, sha256: r.sha256, size: r.size, package: entry.package, version: entry.version,
      architecture: entry.architecture, stanza: entry.stanza, ...(entry.contents !== undefined ? { contents: entry.contents } : {}),
    });
  }
  await writeJsonAtomic(layout.buildRecord(key), record);
  if (typeof result.durationMs === 'number') await recordBuildDuration(layout, request.tree, request.source, request.arch, result.durationMs);
  return outcome(record, false);
}

/** A line of Kiln's own in a build's log (the orchestrator's side: before its worker starts, after it ended). */
export async function appendLog(layout: DataLayout, request: Pick<BuildRequest, 'push' | 'source' | 'arch'>, text: string): Promise<void> {
  const file = layout.buildLog(request.push, request.source, request.arch);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const handle = await fs.promises.open(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o644);
  try {
    await handle.write(text);
  } finally {
    await handle.close();
  }
}

export function outcome(record: BuildRecord, cached: boolean): BuildOutcome {
  return {
    key: record.key,
    cached,
    durationMs: record.durationMs,
    artifacts: record.artifacts.map(({ stanza: _stanza, contents: _contents, ...artifact }) => artifact),
  };
}
