import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GC_SCHEDULE_ID } from '../../domain/workflow-ids';
import { ensureGcSchedule, ensureRetention } from '../../workers/lib/gc-schedule';
import { testConfig } from '../helpers/config';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

// What the orchestrator sets up in Temporal at start, on the real server: the kiln-gc schedule (made once, its
// interval brought in line with the config on the next start) and the namespace's workflow retention.
describe('garbage collection schedule and workflow retention', () => {
  let t: TemporalTestContext;

  beforeAll(async () => { t = await connectToTestServer(); });
  afterAll(async () => {
    await t.client.schedule.getHandle(GC_SCHEDULE_ID).delete().catch(() => undefined);
    await t?.close();
  });

  it('makes the schedule and the retention, and follows a changed config', async () => {
    const config = testConfig([{ name: `s${Date.now()}`, url: '/nonexistent', architectures: ['amd64'] }]);
    const lines: string[] = [];
    await ensureRetention(config, (line) => lines.push(line));
    const described = await t.client.schedule.getHandle(GC_SCHEDULE_ID).describe();
    expect(described.spec.intervals?.[0]?.every).toBe(6 * 3600_000);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'gcWorkflow', taskQueue: 'kiln', args: [{ dryRun: false }] });
    expect(described.policies.overlap).toBe('SKIP');

    const connection = await Connection.connect({ address: config.temporal.address });
    const namespace = await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
    await connection.close();
    expect(Number(namespace.config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 86_400);

    // The next start with another interval updates the schedule in place (it is not made twice, nor refused).
    await ensureGcSchedule(t.client, 2);
    expect((await t.client.schedule.getHandle(GC_SCHEDULE_ID).describe()).spec.intervals?.[0]?.every).toBe(2 * 3600_000);
  });
});
