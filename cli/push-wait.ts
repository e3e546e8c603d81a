import type { Client } from '@temporalio/client';
import { waitUntilStarted } from '../api/intake/request-push';
import type { PushStatus } from '../domain/push';
import type { pushWorkflow } from '../workflows/push';
import { pushStatusQuery } from '../workflows/messages';
import { failureReport, ProgressPrinter } from './progress';

/**
 * Follow a push until it is decided: succeeded (0), or failed / cancelled / superseded (1, failures listed).
 * "failed" is not final for the push, which waits for retry or cancel, but it is the answer `--wait` gives.
 */
export async function waitForPush(client: Client, workflowId: string, out: (line: string) => void, pollMs = 1_000): Promise<number> {
  const handle = client.workflow.getHandle<typeof pushWorkflow>(workflowId);
  const printer = new ProgressPrinter(out);
  await waitUntilStarted(client, workflowId);
  for (;;) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') {
      if (description.status.name !== 'COMPLETED') {
        out(`push ${workflowId} ended ${description.status.name.toLowerCase()}`);
        return 1;
      }
      const result = await handle.result();
      printer.update(result.status);
      return report(result.status, out);
    }
    let status: PushStatus;
    try {
      status = await handle.query(pushStatusQuery);
    } catch {
      await sleep(pollMs); // no worker answered yet (e.g. restarting): keep waiting
      continue;
    }
    printer.update(status);
    if (status.state === 'failed') return report(status, out);
    await sleep(pollMs);
  }
}

function report(status: PushStatus, out: (line: string) => void): number {
  if (status.state === 'succeeded') {
    const publish = status.publish;
    out(`push ${status.workflowId}: succeeded${publish?.snapshot ? `, published as snapshot ${publish.snapshot}` : ''}`);
    for (const t of publish?.targets ?? []) if (!t.ok) out(`  publish target ${t.target} failing: ${t.error}`);
    return 0;
  }
  if (status.publish?.outcome === 'failed') out(`  publishing failed: ${status.publish.error?.type}: ${status.publish.error?.message}`);
  if (status.publish?.outcome === 'skipped') out(`  not published: ${status.publish.reason}`);
  out(`push ${status.workflowId}: ${status.state}${status.state === 'failed' ? ' (awaiting retry or cancel)' : ''}`);
  for (const line of failureReport(status)) out(line);
  return 1;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
