import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { PushResult } from '../../domain/push';
import { pushStatusQuery } from '../../workflows/messages';
import { sleep } from './until';

// Waiting on pushes from tests that crash and restart things: polls that survive a workflow not started yet, a
// worker restarting or a Temporal server just restarted, and say where a push stood when they give up.


/** The push's status query as text, or why there is none (for failure messages). */
export async function pushStatusText(client: Client, workflowId: string): Promise<string> {
  try {
    return JSON.stringify(await client.workflow.getHandle(workflowId).query(pushStatusQuery), null, 1);
  } catch (err) {
    return `(no status: ${String(err)})`;
  }
}

/** The push's result, waiting through a workflow that is not started yet or a server that was just restarted. */
export async function pushResultOf(client: Client, workflowId: string, timeoutMs: number): Promise<PushResult> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    // Aborted at the deadline: no long poll outlives the test (and the connection closed after it).
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error('timeout')), deadline - Date.now());
    try {
      return await client.withAbortSignal(abort.signal, () => client.workflow.getHandle(workflowId).result() as Promise<PushResult>);
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw err;
      lastError = err;
      await sleep(500);
    } finally {
      clearTimeout(timer);
    }
  }
  throw new Error(`push ${workflowId} did not finish within ${timeoutMs} ms (${String(lastError)}); status: ${await pushStatusText(client, workflowId)}`);
}
