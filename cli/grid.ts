// The package × arch grid of a push, as lines of text: one row per source package, one column per arch, each cell
// the build's state. Pure (the time is given), so what a terminal shows is tested as text.

export interface GridBuild {
  source: string;
  version: string;
  arch: string;
  state: string;
  attempt: number;
  startedAt?: number;
  durationMs?: number;
  cached?: boolean;
  /** Its install test, once the push reached that stage. */
  installTest?: { state: string; attempt: number };
}

export interface GridOptions {
  /** Column order; default: the arches of the builds, sorted. */
  arches?: string[];
  /** Now, in ms since the epoch: how long running builds have run. */
  now?: number;
  /** At most this many package rows; rows whose builds all succeeded go first, then "… N more". */
  maxRows?: number;
}

export const STATE_SYMBOL: Record<string, string> = {
  waiting: '·', building: '▶', succeeded: '✓', failed: '✗', blocked: '⊘', cancelled: '■',
};

/** The install test after a built cell: `test ✓`, `test ▶`, `test ✗ #2`. */
const TEST_SYMBOL: Record<string, string> = { waiting: '·', testing: '▶', passed: '✓', failed: '✗', cancelled: '■' };

export function renderGrid(builds: readonly GridBuild[], opts: GridOptions = {}): string[] {
  const arches = opts.arches ?? [...new Set(builds.map((b) => b.arch))].sort();
  const sources = [...new Set(builds.map((b) => b.source))].sort();
  const rows = sources.map((source) => {
    const own = builds.filter((b) => b.source === source);
    return {
      source,
      version: own[0]?.version ?? '',
      cells: arches.map((arch) => {
        const build = own.find((b) => b.arch === arch);
        return build ? cell(build, opts.now) : '-';
      }),
      settled: own.every((b) => b.state === 'succeeded' && (!b.installTest || b.installTest.state === 'passed')),
    };
  });

  let shown = rows;
  let hidden = '';
  if (opts.maxRows !== undefined && rows.length > opts.maxRows) {
    // Keep what needs looking at; leave out succeeded rows first, then whatever does not fit.
    const budget = Math.max(1, opts.maxRows - 1);
    const unsettled = rows.filter((r) => !r.settled);
    const keep = new Set([...unsettled, ...rows.filter((r) => r.settled)].slice(0, budget));
    shown = rows.filter((r) => keep.has(r));
    const left = rows.filter((r) => !keep.has(r));
    hidden = `… ${left.length} more package${left.length === 1 ? '' : 's'}${left.every((r) => r.settled) ? ', all succeeded' : ''}`;
  }

  const header = ['package', 'version', ...arches];
  const table = [header, ...shown.map((r) => [r.source, r.version, ...r.cells])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const lines = table.map((row) => row.map((text, i) => (i === row.length - 1 ? text : text.padEnd(widths[i]))).join('  ').trimEnd());
  return hidden ? [...lines, hidden] : lines;
}

/** One cell: the state's symbol and a word or a time (`✓ 3.2s`, `▶ 12s`, `✗ failed #2`). */
function cell(build: GridBuild, now: number | undefined): string {
  const symbol = STATE_SYMBOL[build.state] ?? '?';
  const attempt = build.attempt > 1 ? ` #${build.attempt}` : '';
  if (build.state === 'succeeded') {
    const took = build.cached ? 'reused' : build.durationMs !== undefined ? seconds(build.durationMs) : 'done';
    const test = build.installTest
      ? `, test ${TEST_SYMBOL[build.installTest.state] ?? '?'}${build.installTest.state === 'failed' ? ' failed' : ''}${build.installTest.attempt > 1 ? ` #${build.installTest.attempt}` : ''}`
      : '';
    return `${symbol} ${took}${attempt}${test}`;
  }
  if (build.state === 'building' && build.startedAt !== undefined && now !== undefined) {
    return `${symbol} ${seconds(Math.max(0, now - build.startedAt), 0)}${attempt}`;
  }
  return `${symbol} ${build.state}${attempt}`;
}

export function seconds(ms: number, digits = 1): string {
  const s = ms / 1000;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${s.toFixed(digits)}s`;
}
