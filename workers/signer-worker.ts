import { NativeConnection, Worker } from '@temporalio/worker';
import { createSignerActivities } from '../activities/signer-activities';
import type { SignerKeys } from '../activities/signer/signer-keys';
import { SIGN_TASK_QUEUE } from '../domain/task-queues';

/** Serves `sign` and nothing else: its own queue, so the final keys live in this process only. */
export function createSignerWorker(options: { connection: NativeConnection; namespace: string; keys: SignerKeys; keysDir: string }): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: SIGN_TASK_QUEUE,
    activities: createSignerActivities(options.keys, options.keysDir),
  });
}
