import { proxyActivities } from '@temporalio/workflow';
import type { PublishActivities } from '../activities/publish/publish-activities';
import type { SignerActivities } from '../activities/signer-activities';
import type { PublishRequest, PublishResult, PublishTargetResult } from '../domain/publish/publish';
import { ORCHESTRATOR_TASK_QUEUE, SIGN_TASK_QUEUE } from '../domain/task-queues';
import { describeFailure } from './lib/failures';

export interface PublishInput {
  request: PublishRequest;
  number: number;
}

const { assembleSnapshot, completeSnapshot, switchCurrent } = proxyActivities<PublishActivities>({
  taskQueue: ORCHESTRATOR_TASK_QUEUE,
  startToCloseTimeout: '30 minutes',
  // The activities beat every 5 s: a killed orchestrator's attempt is retried within half a minute.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});

// The signer may be down for a while: its attempts time out fast and retry until it is back.
const { signRelease } = proxyActivities<SignerActivities>({
  taskQueue: SIGN_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds' },
});

// A target failing for good does not unpublish anything: a few attempts, then the error is reported.
const { publishToTarget } = proxyActivities<PublishActivities>({
  taskQueue: ORCHESTRATOR_TASK_QUEUE,
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 4 },
});

/**
 * Publish one snapshot of a branch: stage it (links and indexes), have the signer sign its Release, complete it,
 * switch `current` to it in one rename, then push it to the configured targets. The branch coordinator runs one at a
 * time per branch; every step is idempotent on the snapshot number, so a crash anywhere makes exactly one snapshot.
 */
export async function publishWorkflow({ request, number }: PublishInput): Promise<PublishResult> {
  const { tree, branch } = request;
  const staged = await assembleSnapshot({ number, request });
  // The fields the signer checks the Release against; it makes the trusted comment from them itself.
  const signed = await signRelease({
    tree, branch, snapshot: number, suite: staged.suite, commit: staged.commit, release: staged.release,
    ...(staged.databases ? { databases: staged.databases } : {}),
  });
  await completeSnapshot({ tree, branch, number, suite: staged.suite, releaseSha256: staged.releaseSha256, signatures: signed });
  await switchCurrent({ tree, branch, number });

  const targets: PublishTargetResult[] = [];
  for (let target = 0; target < staged.targets; target++) {
    try {
      targets.push(await publishToTarget({ tree, branch, number, commit: staged.commit, target }));
    } catch (err) {
      targets.push({ target, ok: false, error: describeFailure(err).message });
    }
  }
  return { outcome: 'published', snapshot: number, commit: staged.commit, targets };
}
