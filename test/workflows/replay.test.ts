import * as fs from 'node:fs';
import * as path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { quietRuntime, workflowBundle } from '../helpers/temporal';

// Workflows that began under earlier code are replayed by today's on any worker restart: they must take the path
// they took. The histories in fixtures/histories were recorded by fixtures/record-histories.ts on the commit each
// is named for (its header says how): activity-per-build (before the orchestrator's per-build activities
// became local ones) and local-activities (since).
const HISTORIES = path.join(__dirname, 'fixtures', 'histories');

describe('histories of earlier code replay', () => {
  const files = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.history')).sort();

  it('has histories of both eras', () => {
    expect(files).toEqual(expect.arrayContaining([
      'activity-per-build.arch.history', 'activity-per-build.build.history', 'local-activities.arch.history', 'local-activities.build.history',
    ]));
  });

  it.each(files)('%s replays without a nondeterminism error', async (file) => {
    quietRuntime();
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES, file)));
    const workflowId = file.endsWith('.arch.history') ? 'replay-amd64' : 'build/p1-key';
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
  }, 60_000);
});
