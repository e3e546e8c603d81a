import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import Long from 'long';
import type { KilnConfig } from '../../domain/config';
import { temporalConnectionOptions } from '../../domain/temporal-connection';
import { ORCHESTRATOR_TASK_QUEUE } from '../../domain/task-queues';
import { GC_SCHEDULE_ID } from '../../domain/workflow-ids';
import type { gcWorkflow } from '../../workflows/gc';

/**
 * What the orchestrator sets up in Temporal at start, idempotently: the `kiln-gc` schedule (garbage collection every
 * retention.gcEveryHours; a Temporal schedule, so it survives any restart and shows in the Temporal UI) and the
 * namespace's workflow retention (retention.workflowDays: how long closed pushes stay visible there).
 */
export async function ensureRetention(config: KilnConfig, log: (message: string) => void): Promise<void> {
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    await ensureGcSchedule(client, config.retention.gcEveryHours);
    await ensureWorkflowRetention(connection, config.temporal.namespace, config.retention.workflowDays, log);
  } finally {
    await connection.close();
  }
}

export async function ensureGcSchedule(client: Client, everyHours: number): Promise<void> {
  const spec = { intervals: [{ every: `${Math.round(everyHours * 3600)}s` as const }] };
  try {
    await client.schedule.create({
      scheduleId: GC_SCHEDULE_ID,
      spec,
      action: {
        type: 'startWorkflow', workflowType: 'gcWorkflow' satisfies (typeof gcWorkflow)['name'],
        workflowId: 'gc/scheduled', taskQueue: ORCHESTRATOR_TASK_QUEUE, args: [{ dryRun: false }],
      },
      // A collection still walking when the next is due: the next is skipped, never run beside it.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // The config may have changed since it was made: its interval follows the config.
    await client.schedule.getHandle(GC_SCHEDULE_ID).update((previous) => ({ ...previous, spec }));
  }
}

async function ensureWorkflowRetention(connection: Connection, namespace: string, days: number, log: (message: string) => void): Promise<void> {
  const seconds = days * 86_400;
  const described = await connection.workflowService.describeNamespace({ namespace });
  if (Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0) === seconds) return;
  try {
    await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: { seconds: Long.fromNumber(seconds) } } });
    log(`namespace ${namespace}: closed workflows are kept ${days} days (retention.workflowDays)`);
  } catch (err) {
    // A shared Temporal cluster may not let Kiln change its namespace: say so, and carry on with its retention.
    log(`namespace ${namespace}: could not set its retention to ${days} days (${String(err)}); it keeps its own`);
  }
}
