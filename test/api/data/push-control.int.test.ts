import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporalPushControl, type PushControl } from '../../../api/data/push-control';
import { branchWorkflowId, rollbackWorkflowId } from '../../../domain/workflow-ids';
import { publishFinishedSignal } from '../../../workflows/messages';
import { testConfig } from '../../helpers/config';
import { connectToTestServer, uniqueId, workflowBundle, type TemporalTestContext } from '../../helpers/temporal';

// PushControl.rollbackOutcome against the real Temporal server: rollback workflows that run, succeed, fail, or were
// ended in Temporal. A rollback on a task queue nobody polls stays running; one whose branch has no coordinator
// fails at once; a stand-in coordinator (a workflow that only exists) takes the request, and the test answers it.

let t: TemporalTestContext;
let control: PushControl;
let worker: Worker;
let running: Promise<void>;
const polled = uniqueId('rollback-outcome');
const idle = uniqueId('nobody-polls');

beforeAll(async () => {
  t = await connectToTestServer();
  control = temporalPushControl(t.client, testConfig([{ name: 'ports', url: '/srv/ports' }]));
  worker = await Worker.create({ connection: t.workerConnection, namespace: t.namespace, taskQueue: polled, workflowBundle: await workflowBundle() });
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await t.close();
});

function start(workflowId: string, taskQueue: string, workflowType = 'rollbackWorkflow') {
  return t.client.workflow.start(workflowType, { workflowId, taskQueue, args: [{ tree: workflowId.split('/')[1], branch: 'main' }] });
}

describe('rollbackOutcome', () => {
  it('is unknown for a workflow Temporal does not have, or one that is no rollback', async () => {
    expect(await control.rollbackOutcome(rollbackWorkflowId('ports', 'main', uniqueId('never')))).toEqual({ state: 'unknown' });
    const other = rollbackWorkflowId('ports', 'main', uniqueId('other'));
    const handle = await start(other, idle, 'pushWorkflow');
    expect(await control.rollbackOutcome(other)).toEqual({ state: 'unknown' });
    await handle.terminate();
  });

  it('is running while it runs, failed once terminated', async () => {
    const id = rollbackWorkflowId('ports', 'main', uniqueId('running'));
    const handle = await start(id, idle);
    expect(await control.rollbackOutcome(id)).toEqual({ state: 'running' });
    await handle.terminate('test');
    expect(await control.rollbackOutcome(id)).toMatchObject({ state: 'failed', error: { type: 'TERMINATED' } });
  });

  it('is failed, with the failure type, when the branch has no coordinator', async () => {
    const id = rollbackWorkflowId(uniqueId('lonely'), 'main', 'r1');
    await expect((await start(id, polled)).result()).rejects.toThrow();
    expect(await control.rollbackOutcome(id)).toMatchObject({ state: 'failed', error: { type: 'BRANCH_NOT_RUNNING' } });
  });

  it('is succeeded, with what was published, once the branch answered', async () => {
    const tree = uniqueId('tree');
    const branch = await start(branchWorkflowId(tree, 'main'), idle, 'branchWorkflow');
    const id = rollbackWorkflowId(tree, 'main', 'r1');
    const rollback = await start(id, polled);
    const published = { outcome: 'published' as const, snapshot: 3, commit: 'a'.repeat(40), targets: [] };
    await rollback.signal(publishFinishedSignal, published);
    await rollback.result();
    expect(await control.rollbackOutcome(id)).toEqual({ state: 'succeeded', result: published });
    await branch.terminate();
  });
});
