import * as fs from 'node:fs';
import * as path from 'node:path';
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

/**
 * The last lines of the log of each failed build of a push (logs under `dataDir`): why a build failed, which the
 * status's error type alone does not say, for failure messages.
 */
export async function failedBuildLogsText(client: Client, workflowId: string, dataDir: string, lines = 40): Promise<string> {
  let builds: Array<{ id: string; state: string; log?: string }>;
  try {
    builds = (await client.workflow.getHandle(workflowId).query(pushStatusQuery)).builds;
  } catch {
    return '';
  }
  const parts: string[] = [];
  for (const build of builds.filter((b) => b.state === 'failed' && b.log)) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dataDir, build.log!), 'utf8');
    } catch (err) {
      text = `(no log: ${String(err)})`;
    }
    parts.push(`----- log of ${build.id} (${workflowId}), last ${lines} lines -----\n${text.split('\n').slice(-lines).join('\n')}`);
  }
  return parts.join('\n');
}

/**
 * Every running workflow of the namespace with what it waits on (pending activities with attempt, state and last
 * failure; pending children): where a push that did not finish stood, for failure messages.
 */
export async function openWorkflowsText(client: Client, limit = 40): Promise<string> {
  const lines: string[] = [];
  try {
    for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
      if (lines.length >= limit) { lines.push('(more not shown)'); break; }
      const { raw } = await client.workflow.getHandle(wf.workflowId, wf.runId).describe();
      const waits = [
        ...(raw.pendingActivities ?? []).map((a) => `activity ${a.activityType?.name} #${a.activityId} state ${a.state} attempt ${a.attempt}`
          + (a.lastWorkerIdentity ? ` on ${a.lastWorkerIdentity}` : '') + (a.lastFailure?.message ? ` last failure: ${a.lastFailure.message}` : '')),
        ...(raw.pendingChildren ?? []).map((c) => `child ${c.workflowId}`),
      ];
      lines.push(`${wf.workflowId} (${wf.type}, since ${wf.startTime.toISOString()})${waits.length ? `\n    ${waits.join('\n    ')}` : ': no pending activity or child'}`);
    }
  } catch (err) {
    lines.push(`(could not list workflows: ${String(err)})`);
  }
  return lines.join('\n') || '(no running workflow)';
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
  throw new Error(`push ${workflowId} did not finish within ${timeoutMs} ms (${String(lastError)}); status: ${await pushStatusText(client, workflowId)}\n`
    + `running workflows:\n${await openWorkflowsText(client)}`);
}
