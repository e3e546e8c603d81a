import type { Client } from '@temporalio/client';
import type { PushStatus } from '../../domain/push';
import { pushStatusQuery } from '../../workflows/messages';
import type { pushWorkflow } from '../../workflows/push';

/** Poll a push's status query until `until` holds (the push workflow may not exist for a moment). */
export async function pushStatusUntil(client: Client, workflowId: string, until: (s: PushStatus) => boolean, timeoutMs = 120_000): Promise<PushStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: PushStatus | undefined;
  while (Date.now() < deadline) {
    try {
      last = await client.workflow.getHandle<typeof pushWorkflow>(workflowId).query(pushStatusQuery);
      if (until(last)) return last;
    } catch { /* not started yet */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out; last status: ${JSON.stringify(last, null, 1)}`);
}
