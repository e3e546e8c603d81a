import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KilnConfig } from '../../domain/config';
import { DataLayout, type PushRef } from '../../domain/data-layout';
import { KilnError } from '../../domain/errors';
import type { PushState, PushStatus } from '../../domain/push';

// Pushes as their records on disk say: `records/<tree>/<branch, encoded>/<commit>.json`, the push's status rewritten
// whole (atomically) at each change of its state by the orchestrator. `<commit>.plan.json` beside it is the plan.

export type PushRecord = PushStatus & { recordedAt?: string };

export const PUSH_STATES: readonly PushState[] = [
  'planning', 'building', 'testing', 'failed', 'publishing', 'succeeded', 'cancelling', 'cancelled', 'superseded',
];
/** States a push does not leave; `failed` is not one (it waits for retry or cancel). */
export const FINAL_PUSH_STATES: readonly PushState[] = ['succeeded', 'cancelled', 'superseded'];

const BUILD_STATES = ['waiting', 'building', 'succeeded', 'failed', 'cancelled', 'blocked'] as const;
export type BuildCounts = Record<(typeof BUILD_STATES)[number] | 'total', number>;

/** One push in a list: its record without the per-build detail. */
export interface PushSummary {
  workflowId: string;
  tree: string;
  branch: string;
  commit: string;
  state: PushState;
  requestedBy: string;
  startedAt: number;
  finishedAt?: number;
  supersededBy?: string;
  recordedAt?: string;
  builds: BuildCounts;
  publish?: { outcome: 'published' | 'skipped' | 'failed'; snapshot?: number };
}

export interface PushListQuery {
  tree?: string;
  branch?: string;
  state?: PushState;
  /** 1-500; default 50. */
  limit?: number;
  /** From the previous page's `nextCursor`. */
  cursor?: string;
}

export interface PushPage {
  pushes: PushSummary[];
  /** Present when there are more: pass it as `cursor` for the next page. */
  nextCursor?: string;
}

export const COMMIT_PATTERN = /^[0-9a-f]{40}$/;
const RECORD_NAME = /^([0-9a-f]{40})\.json$/;

export function countBuilds(builds: ReadonlyArray<{ state: string }>): BuildCounts {
  const counts = Object.fromEntries([...BUILD_STATES, 'total'].map((s) => [s, 0])) as BuildCounts;
  for (const b of builds) {
    counts.total++;
    if ((BUILD_STATES as readonly string[]).includes(b.state)) counts[b.state as keyof BuildCounts]++;
  }
  return counts;
}

export function summarize(record: PushStatus & { recordedAt?: string }): PushSummary {
  return {
    workflowId: record.workflowId,
    ...record.push,
    state: record.state,
    requestedBy: record.requestedBy,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    supersededBy: record.supersededBy,
    recordedAt: record.recordedAt,
    builds: countBuilds(record.builds ?? []),
    publish: record.publish ? { outcome: record.publish.outcome, snapshot: record.publish.snapshot } : undefined,
  };
}

/** Newest first: by start time, then by workflow ID (a total order, so paging never skips or repeats). */
function newerFirst(a: Pick<PushSummary, 'startedAt' | 'workflowId'>, b: Pick<PushSummary, 'startedAt' | 'workflowId'>): number {
  return b.startedAt - a.startedAt || (a.workflowId < b.workflowId ? 1 : a.workflowId > b.workflowId ? -1 : 0);
}

/** An opaque cursor: the position (start time, workflow ID) of the last push of a page. */
export function encodeCursor(last: Pick<PushSummary, 'startedAt' | 'workflowId'>): string {
  return Buffer.from(JSON.stringify([last.startedAt, last.workflowId])).toString('base64url');
}

export function decodeCursor(cursor: string): Pick<PushSummary, 'startedAt' | 'workflowId'> {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && typeof value[1] === 'string') {
      return { startedAt: value[0], workflowId: value[1] };
    }
  } catch {
    // fall through
  }
  throw new KilnError('REQUEST_INVALID', 'the cursor is not one this API handed out (use nextCursor of the previous page)');
}

/**
 * Reads push records. Lists read the summary of each record once and keep it while the file is unchanged (same
 * inode, size and mtime: records are replaced by rename), so listing stays cheap however often it is asked.
 * Only configured trees and branches are listed.
 */
export class PushRecords {
  private readonly layout: DataLayout;
  private readonly summaries = new Map<string, { stamp: string; summary: PushSummary | undefined }>();

  constructor(private readonly config: KilnConfig, layout?: DataLayout) {
    this.layout = layout ?? new DataLayout(config.dataDir);
  }

  /** The record of one push, or undefined when it has none (yet). */
  async read(push: PushRef): Promise<PushRecord | undefined> {
    if (!COMMIT_PATTERN.test(push.commit)) return undefined;
    try {
      return JSON.parse(await fs.promises.readFile(this.layout.pushRecord(push), 'utf8')) as PushRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  /** Pushes newest first, filtered, one page at a time. */
  async list(query: PushListQuery = {}): Promise<PushPage> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const all = await this.summariesOf(this.branchesOf(query));
    const matching = all
      .filter((s) => (query.state === undefined || s.state === query.state) && (!after || newerFirst(after, s) < 0))
      .sort(newerFirst);
    const page = matching.slice(0, limit);
    return { pushes: page, nextCursor: matching.length > limit ? encodeCursor(page[page.length - 1]) : undefined };
  }

  /** The newest push of a branch (by start time). */
  async latest(tree: string, branch: string): Promise<PushSummary | undefined> {
    return (await this.summariesOf([{ tree, branch }])).sort(newerFirst)[0];
  }

  private branchesOf(query: PushListQuery): Array<{ tree: string; branch: string }> {
    return this.config.trees
      .filter((t) => query.tree === undefined || t.name === query.tree)
      .flatMap((t) => t.branches.filter((b) => query.branch === undefined || b === query.branch).map((branch) => ({ tree: t.name, branch })));
  }

  private async summariesOf(branches: Array<{ tree: string; branch: string }>): Promise<PushSummary[]> {
    const seen = new Set<string>();
    const out: PushSummary[] = [];
    for (const { tree, branch } of branches) {
      const dir = path.dirname(this.layout.pushRecord({ tree, branch, commit: '0'.repeat(40) }));
      let names: string[];
      try {
        names = await fs.promises.readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw err;
      }
      // `<commit>.plan.json` (plans) and `.<name>.tmp` (atomic writes in progress) do not match.
      for (const name of names) {
        const commit = RECORD_NAME.exec(name)?.[1];
        if (!commit) continue;
        const file = path.join(dir, name);
        seen.add(file);
        const summary = await this.summaryOf(file, { tree, branch, commit });
        if (summary) out.push(summary);
      }
    }
    // Forget records that are gone, but only of the branches just listed.
    const listed = new Set(branches.map(({ tree, branch }) => path.dirname(this.layout.pushRecord({ tree, branch, commit: '0'.repeat(40) }))));
    for (const file of this.summaries.keys()) if (listed.has(path.dirname(file)) && !seen.has(file)) this.summaries.delete(file);
    return out;
  }

  private async summaryOf(file: string, push: PushRef): Promise<PushSummary | undefined> {
    let stamp: string;
    try {
      const s = await fs.promises.stat(file);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const cached = this.summaries.get(file);
    if (cached?.stamp === stamp) return cached.summary;
    const record = await this.read(push);
    // A record names its own push; one that does not (copied by hand) is left out rather than shown under another.
    const summary = record && record.push?.commit === push.commit && record.push.tree === push.tree && record.push.branch === push.branch
      ? summarize(record)
      : undefined;
    this.summaries.set(file, { stamp, summary });
    return summary;
  }
}
