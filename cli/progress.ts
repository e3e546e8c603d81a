import type { PushDetail } from '../api/data/push-view';
import { renderGrid, STATE_SYMBOL } from './grid';

// `kiln push --wait` progress. Not a terminal (a CI log, a pipe, --json): one line per build whose state changed,
// then a summary line, so it reads the same everywhere. A terminal: the package × arch grid, redrawn in place.

export interface Progress {
  update(push: PushDetail): void;
}

export class ProgressPrinter implements Progress {
  private readonly seen = new Map<string, string>();
  private lastSummary = '';

  constructor(private readonly write: (line: string) => void) {}

  update(push: PushDetail): void {
    for (const b of push.builds) {
      const key = `${b.state}:${b.attempt}:${b.note ?? ''}`;
      if (this.seen.get(b.id) === key) continue;
      this.seen.set(b.id, key);
      if (b.state === 'waiting' && b.attempt === 1) continue;
      const took = b.durationMs !== undefined ? ` in ${(b.durationMs / 1000).toFixed(1)} s` : '';
      const why = b.error ? `: ${b.error.type}: ${b.error.message}` : b.blockedBy ? ` by ${b.blockedBy.join(', ')}` : b.note ? ` (${b.note})` : '';
      const cached = b.cached ? ' (reused)' : '';
      this.write(`${STATE_SYMBOL[b.state] ?? '?'} ${b.arch.padEnd(6)} ${b.source} ${b.version}: ${b.state}${cached}${took}${why}`);
    }
    const summary = summaryLine(push);
    if (summary !== this.lastSummary) {
      this.lastSummary = summary;
      this.write(`— ${summary}`);
    }
  }
}

/** The grid, redrawn over itself: the cursor goes back up the lines drawn last time, which are cleared. */
export class LiveGrid implements Progress {
  private drawn = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly size: () => { columns?: number; rows?: number },
    private readonly now: () => number = Date.now,
  ) {}

  update(push: PushDetail): void {
    const { columns = 100, rows = 30 } = this.size();
    const lines = [
      `${push.tree}/${push.branch} ${push.commit.slice(0, 12)}: ${summaryLine(push)}`,
      ...renderGrid(push.builds, { arches: push.arches.map((a) => a.arch).sort(), now: this.now(), maxRows: Math.max(3, rows - 4) }).map((l) => `  ${l}`),
    ].map((line) => (line.length >= columns ? `${line.slice(0, Math.max(1, columns - 2))}…` : line));
    const back = this.drawn > 0 ? `\x1b[${this.drawn}A\r\x1b[J` : '';
    this.write(`${back}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

const SUMMARY_ORDER = ['succeeded', 'building', 'waiting', 'failed', 'blocked', 'cancelled'] as const;

/** `building: 3 succeeded, 1 building (4 builds)`. */
export function summaryLine(push: PushDetail): string {
  const counts = SUMMARY_ORDER.filter((state) => push.buildCounts[state] > 0).map((state) => `${push.buildCounts[state]} ${state}`);
  const builds = push.buildCounts.total === 1 ? '1 build' : `${push.buildCounts.total} builds`;
  return `${push.state}${counts.length > 0 ? `: ${counts.join(', ')}` : ''} (${builds})${testsSummary(push)}`;
}

const TEST_ORDER = ['passed', 'testing', 'waiting', 'failed', 'cancelled'] as const;

/** `; install tests: 3 passed, 1 testing`, once the push reached the install test. */
function testsSummary(push: PushDetail): string {
  const states = push.builds.flatMap((b) => (b.installTest ? [b.installTest.state] : []));
  if (states.length === 0) return '';
  return `; install tests: ${TEST_ORDER.filter((s) => states.includes(s)).map((s) => `${states.filter((x) => x === s).length} ${s}`).join(', ')}`;
}
