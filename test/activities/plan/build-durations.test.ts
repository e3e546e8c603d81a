import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBuildDurations, recordBuildDuration } from '../../../activities/plan/build-durations';
import { DataLayout } from '../../../domain/data-layout';

// The per-tree durations planning ranks builds with: updates that land together all count, the newest wins, and a
// damaged file is a missing hint, not an error.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-durations-'));
const layout = new DataLayout(root);
afterEach(() => fs.rmSync(path.join(root, 'stats'), { recursive: true, force: true }));

describe('build durations', () => {
  it('keeps every one of many builds that finish at once, the last of each package', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => recordBuildDuration(layout, 't', `p${i % 20}`, 'amd64', i)));
    const durations = await readBuildDurations(layout, 't');
    expect(Object.keys(durations)).toHaveLength(20);
    expect(durations['p3/amd64']).toBe(23);
    expect(await readBuildDurations(layout, 'other')).toEqual({});
  });

  it('reads a damaged file as no hints', async () => {
    fs.mkdirSync(path.join(root, 'stats'), { recursive: true });
    fs.writeFileSync(path.join(root, 'stats', 't.durations.json'), '{"a/amd64": "long", "b/amd64": -1, "c/amd64": 5');
    expect(await readBuildDurations(layout, 't')).toEqual({});
    fs.writeFileSync(path.join(root, 'stats', 't.durations.json'), '{"a/amd64": "long", "b/amd64": -1, "c/amd64": 5}');
    expect(await readBuildDurations(layout, 't')).toEqual({ 'c/amd64': 5 });
  });
});
