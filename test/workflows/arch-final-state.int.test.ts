import { Worker, bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrchestratorActivities } from '../../activities/orchestrator-activities';
import type { PlannedBuild } from '../../domain/build-graph';
import type { PreparedBuild } from '../../activities/builder/build-request';
import { resolveOwnModule } from '../../domain/project-paths';
import { ORCHESTRATOR_TASK_QUEUE } from '../../domain/task-queues';
import type { archBuildWorkflow } from '../../workflows/arch-builds';
import { until } from '../helpers/until';
import { connectToTestServer, uniqueId, workflowBundle, type TemporalTestContext } from '../helpers/temporal';
import { heardQuery } from './fixtures/push-stand-in';

// The arch workflow's last word on the real Temporal server: when its builds finish together (here: all already
// built, so they end within a moment of each other), the push still hears every build succeed and the arch end
// `succeeded`. It once ended on the graph's state after awaiting its signals: a build finishing meanwhile was never
// reported, and the push waited forever (one push in two of 24 quick builds; the orchestration benchmark found it).
describe('an arch workflow whose builds end together', () => {
  let t: TemporalTestContext;
  let workers: Worker[];
  let running: Promise<void>[];
  const standInQueue = uniqueId('push-stand-in');

  const activities: Partial<OrchestratorActivities> = {
    async prepareBuild({ request }): Promise<PreparedBuild> {
      return { key: `${request.source}-key`, cached: true, outcome: { key: `${request.source}-key`, cached: true, artifacts: [], durationMs: 0 } };
    },
    async addToWip() { return undefined as never; },
  };

  beforeAll(async () => {
    t = await connectToTestServer();
    workers = [
      await Worker.create({ connection: t.workerConnection, namespace: t.namespace, taskQueue: ORCHESTRATOR_TASK_QUEUE, workflowBundle: await workflowBundle(), activities }),
      await Worker.create({
        connection: t.workerConnection, namespace: t.namespace, taskQueue: standInQueue,
        workflowBundle: await bundleWorkflowCode({ workflowsPath: resolveOwnModule(__dirname, 'fixtures/push-stand-in'), logger: new DefaultLogger('WARN') }),
      }),
    ];
    running = workers.map((w) => w.run());
  });

  afterAll(async () => {
    for (const w of workers ?? []) w.shutdown();
    await Promise.allSettled(running ?? []);
    await t?.close();
  });

  it('reports every build and its own end to the push, every time', async () => {
    for (let round = 0; round < 6; round++) {
      const tree = uniqueId('arch-final');
      const push = { tree, branch: 'main', commit: 'a'.repeat(40) };
      const parent = await t.client.workflow.start('pushStandIn', { taskQueue: standInQueue, workflowId: `${tree}-push` });
      const builds: PlannedBuild[] = Array.from({ length: 24 }, (_, i) => ({
        id: `p${i}/amd64`, source: `p${i}`, version: '1.0', arch: 'amd64', scope: 'any', treeHash: `t${i}`, deps: [],
      }));
      const arch = await t.client.workflow.execute<typeof archBuildWorkflow>('archBuildWorkflow', {
        taskQueue: ORCHESTRATOR_TASK_QUEUE, workflowId: `${tree}-amd64`,
        args: [{ push, suite: 'main', arch: 'amd64', parentWorkflowId: parent.workflowId, builds, limits: { concurrency: 4, timeoutMinutes: 10, memoryMb: 1024, cpus: 1, pids: 512 } }],
      });
      expect(arch.outcome).toBe('succeeded');
      // Signals the arch workflow sent before it ended are in the push's history: the query sees them at once.
      await until('the push heard the arch end', async () => (await parent.query(heardQuery)).arch === 'succeeded', 5_000, 50)
        .catch(async () => { throw new Error(`round ${round}: the push heard ${JSON.stringify(await parent.query(heardQuery))}`); });
      const heard = await parent.query(heardQuery);
      expect(Object.values(heard.builds).filter((s) => s === 'succeeded')).toHaveLength(24);
      await parent.terminate('test done');
    }
  }, 120_000);
});
