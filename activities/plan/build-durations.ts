import * as path from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../../domain/atomic-file';
import type { DataLayout } from '../../domain/data-layout';
import type { BuildDurations } from '../../domain/plan/critical-path';

// How long each package's last build took, per tree (stats/<tree>.durations.json): planning ranks the next push's
// builds longest path first with it. A hint only: a lost update or a missing file costs a less good order, nothing else.

const MAX_ENTRIES = 100_000;

function file(layout: DataLayout, tree: string): string {
  return path.join(layout.root, 'stats', `${tree}.durations.json`);
}

export async function readBuildDurations(layout: DataLayout, tree: string): Promise<BuildDurations> {
  const read = await readJsonIfExists<Record<string, unknown>>(file(layout, tree)).catch(() => undefined);
  const out: Record<string, number> = {};
  for (const [id, ms] of Object.entries(read ?? {})) if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) out[id] = ms;
  return out;
}

/** Updates are serialized per file in this process (builds of one push finish together). */
const pending = new Map<string, Promise<void>>();

export function recordBuildDuration(layout: DataLayout, tree: string, source: string, arch: string, durationMs: number): Promise<void> {
  const target = file(layout, tree);
  const next = (pending.get(target) ?? Promise.resolve()).then(async () => {
    const durations = { ...(await readBuildDurations(layout, tree)), [`${source}/${arch}`]: Math.max(0, Math.round(durationMs)) };
    // Bounded: a tree that renamed many packages does not grow this for ever.
    const entries = Object.entries(durations);
    await writeJsonAtomic(target, Object.fromEntries(entries.slice(Math.max(0, entries.length - MAX_ENTRIES))));
  }).catch(() => undefined);
  pending.set(target, next);
  void next.finally(() => { if (pending.get(target) === next) pending.delete(target); });
  return next;
}
