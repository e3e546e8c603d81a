// What one garbage collection removed (or, dry, would remove): per category, a count, the bytes it frees and a few
// of the paths. Pure: the CLI and the API print it, the collector fills it.

export const GC_CATEGORIES = ['store', 'pool', 'buildRecords', 'pushRecords', 'logs', 'wip', 'work', 'recipes'] as const;
export type GcCategory = (typeof GC_CATEGORIES)[number];

const LABELS: Record<GcCategory, string> = {
  store: 'store files no kept snapshot, build record or running push references',
  pool: 'files of a branch\'s shared pool no kept snapshot lists',
  buildRecords: 'build records unused for longer than retention.logsDays',
  pushRecords: 'push records older than retention.logsDays',
  logs: 'build logs of those pushes',
  wip: 'WIP repositories of finished pushes',
  work: 'build work dirs left behind',
  recipes: 'recipe exports no running push needs',
};

export interface GcCategoryReport {
  count: number;
  /** What removing them frees: bytes of files whose last link goes (a store file a snapshot also links frees none). */
  bytes: number;
  /** Up to 20 of them, relative to the data dir. */
  examples: string[];
}

export interface GcReport {
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  /** Pushes running when it started: everything they need was kept. */
  runningPushes: number;
  keptSnapshots: number;
  categories: Record<GcCategory, GcCategoryReport>;
}

export const MAX_EXAMPLES = 20;

export function emptyReport(dryRun: boolean, startedAt: Date): GcReport {
  const categories = {} as Record<GcCategory, GcCategoryReport>;
  for (const c of GC_CATEGORIES) categories[c] = { count: 0, bytes: 0, examples: [] };
  return { dryRun, startedAt: startedAt.toISOString(), finishedAt: startedAt.toISOString(), runningPushes: 0, keptSnapshots: 0, categories };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The report as lines for a terminal: what goes (or would), how much, then examples with --verbose. */
export function reportLines(report: GcReport, verbose = false): string[] {
  const total = Object.values(report.categories).reduce((sum, c) => sum + c.bytes, 0);
  const count = Object.values(report.categories).reduce((sum, c) => sum + c.count, 0);
  const verb = report.dryRun ? 'would remove' : 'removed';
  const lines = [`garbage collection ${verb} ${count} item${count === 1 ? '' : 's'}, ${formatBytes(total)} (kept: ${report.keptSnapshots} snapshot${report.keptSnapshots === 1 ? '' : 's'}, what ${report.runningPushes} running push${report.runningPushes === 1 ? '' : 'es'} need${report.runningPushes === 1 ? 's' : ''})`];
  for (const c of GC_CATEGORIES) {
    const r = report.categories[c];
    if (r.count === 0) continue;
    lines.push(`  ${String(r.count).padStart(7)}  ${formatBytes(r.bytes).padStart(10)}  ${LABELS[c]}`);
    if (verbose) for (const example of r.examples) lines.push(`             ${example}`);
  }
  return lines;
}
