import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishActivities } from '../../activities/publish/publish-activities';
import type { SignerActivities } from '../../activities/signer-activities';
import type { PublishRequest, SnapshotToSign } from '../../domain/publish/publish';
import { ORCHESTRATOR_TASK_QUEUE, SIGN_TASK_QUEUE } from '../../domain/task-queues';
import { branchWorkflowId } from '../../domain/workflow-ids';
import { branchStatusQuery, type branchWorkflow } from '../../workflows/branch';
import { publishRequestedSignal, wakeSignal } from '../../workflows/messages';
import { until } from '../helpers/until';
import { connectToTestServer, uniqueId, workflowBundle, type TemporalTestContext } from '../helpers/temporal';

// The branch coordinator's publish order on the real Temporal server: publishes run one at a time in the order they
// were asked for, and a push older than one already published is skipped (never switched to), while a newer one after
// it still publishes. The publish activities are stand-ins that record what they were asked: what is under test here
// is the coordinator's ordering, which the publish integration tests cannot steer (their pushes arrive in order).

type Recorded = { number: number; seq: number };

describe('branch coordinator publish order', () => {
  let t: TemporalTestContext;
  let workers: Worker[];
  let running: Promise<void>[];
  const assembled: Recorded[] = [];
  const switched: number[] = [];

  /** Commits the stand-in calls "the published one or an ancestor of it". */
  const covered = new Set<string>();
  const publishStandIns: Partial<PublishActivities> = {
    async nextSnapshotNumber() { return 1; },
    async publishedCommitCovering({ commit }) { return covered.has(commit) ? 'f'.repeat(40) : undefined; },
    async assembleSnapshot({ number, request }: { number: number; request: PublishRequest }): Promise<SnapshotToSign> {
      assembled.push({ number, seq: request.kind === 'push' ? request.seq : 0 });
      const commit = request.kind === 'push' ? request.push.commit : 'rollback';
      return { number, suite: 'main', commit, release: `Suite: main\n`, releaseSha256: '0'.repeat(64), trustedComment: `snapshot ${number}`, targets: 0 };
    },
    async completeSnapshot() { return undefined; },
    async switchCurrent({ number }: { number: number }) { switched.push(number); return { removed: [] }; },
  };
  const signerStandIn: Partial<SignerActivities> = {
    async signRelease() { return { minisig: 'sig', inRelease: 'in', releaseGpg: 'gpg', publicKeys: { minisign: 'k', openpgp: 'k' } } as never; },
  };

  beforeAll(async () => {
    t = await connectToTestServer();
    const bundle = await workflowBundle();
    workers = [
      await Worker.create({ connection: t.workerConnection, namespace: t.namespace, taskQueue: ORCHESTRATOR_TASK_QUEUE, workflowBundle: bundle, activities: publishStandIns }),
      await Worker.create({ connection: t.workerConnection, namespace: t.namespace, taskQueue: SIGN_TASK_QUEUE, activities: signerStandIn }),
    ];
    running = workers.map((w) => w.run());
  });

  afterAll(async () => {
    for (const w of workers ?? []) w.shutdown();
    await Promise.allSettled(running ?? []);
    await t?.close();
  });


  it('skips a push older than the published one and still publishes a newer one after it', async () => {
    const tree = uniqueId('order');
    const branch = 'main';
    const handle = await t.client.workflow.signalWithStart<typeof branchWorkflow, []>('branchWorkflow', {
      workflowId: branchWorkflowId(tree, branch), taskQueue: ORCHESTRATOR_TASK_QUEUE, args: [{ tree, branch }], signal: wakeSignal, signalArgs: [],
    });
    // replyTo names no workflow: the coordinator's answer is dropped; what it did shows in the activities.
    const request = (seq: number): PublishRequest => ({
      kind: 'push', tree, branch, replyTo: `${tree}-reply-${seq}`, seq, push: { tree, branch, commit: String(seq).repeat(40) },
    });
    const idle = async () => {
      const s = await handle.query(branchStatusQuery);
      return s.publishing === undefined && s.publishQueue.length === 0;
    };

    // Push 2 finished first and is published as snapshot 1.
    await handle.signal(publishRequestedSignal, request(2));
    await until('push 2 is published', () => switched.length === 1, 30_000, 100);
    // Then push 1 (older) asks, then push 3 (newer): 1 is skipped, 3 becomes snapshot 2.
    await handle.signal(publishRequestedSignal, request(1));
    await handle.signal(publishRequestedSignal, request(3));
    await until('push 3 is published', () => switched.length === 2, 30_000, 100);
    await until('the coordinator is idle', idle, 30_000, 100);

    expect(assembled).toEqual([{ number: 1, seq: 2 }, { number: 2, seq: 3 }]);
    expect(switched).toEqual([1, 2]);
    await handle.terminate('test over');
  });

  it('never publishes a webhook push whose commit is the published one or an ancestor; an operator push may', async () => {
    const tree = uniqueId('replay');
    const branch = 'main';
    const handle = await t.client.workflow.signalWithStart<typeof branchWorkflow, []>('branchWorkflow', {
      workflowId: branchWorkflowId(tree, branch), taskQueue: ORCHESTRATOR_TASK_QUEUE, args: [{ tree, branch }], signal: wakeSignal, signalArgs: [],
    });
    const commit = (c: string) => c.repeat(40);
    const request = (seq: number, c: string, fromWebhook: boolean): PublishRequest => ({
      kind: 'push', tree, branch, replyTo: `${tree}-reply-${seq}`, seq, push: { tree, branch, commit: commit(c) },
      ...(fromWebhook ? { fromWebhook: true } : {}),
    });
    covered.add(commit('a'));
    const before = { assembled: assembled.length, switched: switched.length };

    // A replayed old webhook: newest in arrival order (seq 10), but its commit is behind what is published.
    await handle.signal(publishRequestedSignal, request(10, 'a', true));
    // An operator's push of that same commit goes back on purpose; then a new webhook push goes forward.
    await handle.signal(publishRequestedSignal, request(11, 'a', false));
    await handle.signal(publishRequestedSignal, request(12, 'b', true));
    await until('two publishes', () => switched.length === before.switched + 2, 30_000, 100);

    expect(assembled.slice(before.assembled).map((a) => a.seq)).toEqual([11, 12]);
    await handle.terminate('test over');
  });
});
