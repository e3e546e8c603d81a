import { describe, expect, it } from 'vitest';
import type { BuildView, PushDetail } from '../../api/data/push-view';
import { ProgressPrinter } from '../../cli/progress';

const build = (over: Partial<BuildView>): BuildView => ({
  id: 'hello/amd64', source: 'hello', version: '1.0', arch: 'amd64', state: 'building', attempt: 1, logUrl: '/api/logs/x', ...over,
});
const push = (builds: BuildView[]): PushDetail => ({
  state: 'building', builds,
  buildCounts: { total: builds.length, succeeded: 0, building: builds.length, waiting: 0, failed: 0, blocked: 0, cancelled: 0, cached: 0 },
} as unknown as PushDetail);

describe('push --wait progress lines', () => {
  it('prints a line when a build starts, when a note says why it does not run yet, and when the note goes', () => {
    const lines: string[] = [];
    const printer = new ProgressPrinter((line) => lines.push(line));
    printer.update(push([build({})]));
    printer.update(push([build({})])); // nothing new: no line
    printer.update(push([build({ note: 'waiting for disk space: the data dir has 900 MiB free, below build.minFreeMb (2048 MiB)' })]));
    printer.update(push([build({})]));
    const builds = lines.filter((l) => !l.startsWith('—'));
    expect(builds).toHaveLength(3);
    expect(builds[0]).toMatch(/amd64 +hello 1\.0: building$/);
    expect(builds[1]).toMatch(/amd64 +hello 1\.0: building \(waiting for disk space: the data dir has 900 MiB free, below build\.minFreeMb \(2048 MiB\)\)$/);
    expect(builds[2]).toMatch(/amd64 +hello 1\.0: building$/);
  });
});
