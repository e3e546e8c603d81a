import type { PushStatus } from '../domain/push';

// `kiln push --wait` progress: one line per build whose state changed, then a summary line; plain text, so it reads
// the same in a terminal, a CI log or a pipe.

const SYMBOL: Record<string, string> = {
  waiting: '·', building: '▶', succeeded: '✓', failed: '✗', blocked: '⊘', cancelled: '■',
};

export class ProgressPrinter {
  private readonly seen = new Map<string, string>();
  private lastSummary = '';

  constructor(private readonly write: (line: string) => void) {}

  update(status: PushStatus): void {
    for (const b of status.builds) {
      const key = `${b.state}:${b.attempt}`;
      if (this.seen.get(b.id) === key) continue;
      this.seen.set(b.id, key);
      if (b.state === 'waiting' && b.attempt === 1) continue;
      const took = b.finishedAt && b.startedAt ? ` in ${((b.finishedAt - b.startedAt) / 1000).toFixed(1)} s` : '';
      const why = b.error ? `: ${b.error.type}: ${b.error.message}` : b.blockedBy ? ` by ${b.blockedBy.join(', ')}` : '';
      const cached = b.cached ? ' (reused)' : '';
      this.write(`${SYMBOL[b.state] ?? '?'} ${b.arch.padEnd(6)} ${b.source} ${b.version}: ${b.state}${cached}${took}${why}`);
    }
    const counts = new Map<string, number>();
    for (const b of status.builds) counts.set(b.state, (counts.get(b.state) ?? 0) + 1);
    const summary = `${status.state}: ` + [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
    if (summary !== this.lastSummary) {
      this.lastSummary = summary;
      this.write(`— ${summary} (${status.builds.length} builds)`);
    }
  }
}

export function failureReport(status: PushStatus): string[] {
  const lines: string[] = [];
  for (const e of status.plan?.errors ?? []) lines.push(`  ${e.source ?? e.dir}: ${e.code}: ${e.message}`);
  for (const b of status.builds) {
    if (b.state === 'failed') lines.push(`  ${b.source}/${b.arch}: ${b.error?.type}: ${b.error?.message} (log: ${b.log})`);
    if (b.state === 'blocked') lines.push(`  ${b.source}/${b.arch}: blocked by ${b.blockedBy?.join(', ')}`);
  }
  return lines;
}
