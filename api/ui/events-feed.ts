import type { PushSummary } from '../data/push-records';
import type { SnapshotSummary } from '../data/snapshots';
import type { Tone } from './format';

// What happened recently, read from push records' timestamps (and rollback snapshots): newest first.

export type FeedKind = 'started' | 'failed' | 'published' | 'finished' | 'cancelled' | 'superseded' | 'publish-failed' | 'rollback';

export interface FeedEvent {
  time: number;
  kind: FeedKind;
  tree: string;
  branch: string;
  /** The push's commit; absent for a rollback. */
  commit?: string;
  message: string;
  tone: Tone;
  snapshot?: number;
}

function stamp(...times: Array<number | string | undefined>): number | undefined {
  for (const t of times) {
    const ms = typeof t === 'string' ? Date.parse(t) : t;
    if (ms !== undefined && Number.isFinite(ms)) return ms;
  }
  return undefined;
}

/** The events of one push: its start, and how it stands or ended. */
export function pushFeedEvents(p: PushSummary): FeedEvent[] {
  const base = { tree: p.tree, branch: p.branch, commit: p.commit };
  const events: FeedEvent[] = [{ ...base, time: p.startedAt, kind: 'started', message: `push started by ${p.requestedBy}`, tone: 'active' }];
  const end = stamp(p.finishedAt, p.recordedAt) ?? p.startedAt;
  if (p.publish?.outcome === 'published') {
    events.push({ ...base, time: end, kind: 'published', message: `published as snapshot #${p.publish.snapshot}`, tone: 'ok', snapshot: p.publish.snapshot });
  } else if (p.publish?.outcome === 'failed') {
    events.push({ ...base, time: end, kind: 'publish-failed', message: 'publishing failed', tone: 'bad' });
  } else if (p.state === 'failed') {
    const failed = p.builds.failed;
    events.push({ ...base, time: stamp(p.recordedAt) ?? p.startedAt, kind: 'failed', message: `${failed} ${failed === 1 ? 'build' : 'builds'} failed: awaiting retry or cancel`, tone: 'bad' });
  } else if (p.state === 'succeeded') {
    events.push({ ...base, time: end, kind: 'finished', message: p.publish?.outcome === 'skipped' ? 'built; not published (a newer push was published first)' : 'built', tone: 'ok' });
  } else if (p.state === 'cancelled') {
    events.push({ ...base, time: end, kind: 'cancelled', message: `cancelled${hadFailed(p)}`, tone: 'idle' });
  } else if (p.state === 'superseded') {
    events.push({ ...base, time: end, kind: 'superseded', message: `${p.supersededBy ? `superseded by ${p.supersededBy}` : 'superseded'}${hadFailed(p)}`, tone: 'idle' });
  }
  return events;
}

/** A push that ended while builds had failed says so: its one ending event is all the feed shows of it. */
function hadFailed(p: PushSummary): string {
  const failed = p.builds.failed;
  return failed > 0 ? `, after ${failed} ${failed === 1 ? 'build' : 'builds'} failed` : '';
}

export function rollbackFeedEvent(tree: string, branch: string, s: SnapshotSummary): FeedEvent | undefined {
  const time = stamp(s.createdAt);
  if (s.rollbackOf === undefined || time === undefined) return undefined;
  return { tree, branch, time, kind: 'rollback', message: `rolled back: snapshot #${s.number} republishes #${s.rollbackOf}`, tone: 'warn', snapshot: s.number };
}

/** Newest first, at most `limit`. */
export function feed(events: FeedEvent[], limit: number): FeedEvent[] {
  return [...events].sort((a, b) => b.time - a.time).slice(0, limit);
}
