import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builderImageTag } from '../../domain/builder-image';
import * as path from 'node:path';
import { ORCHESTRATOR_TASK_QUEUE } from '../../domain/task-queues';
import { createBuildWorker } from '../../workers/build-worker';
import { createOrchestratorWorker } from '../../workers/orchestrator-worker';
import { testConfig } from '../helpers/config';
import { connectToTestServer, uniqueId, withWorkers, workflowBundle, type TemporalTestContext } from '../helpers/temporal';

// Smoke test of the whole foundation: a workflow on the real Temporal server runs an activity on a build worker,
// which runs a real container from the builder image through dockerode and returns its output and exit code.
/** The probe runs no build: its worker never calls Kiln's API (a closed port here), it only needs a cache dir. */
const noExchange = (dataDir: string, arch: string) => ({ endpoint: { apiUrl: 'http://127.0.0.1:9', token: 'probe-needs-no-token' }, cacheDir: path.join(dataDir, 'worker-cache', arch) });

describe('builderProbeWorkflow', () => {
  let t: TemporalTestContext;
  beforeAll(async () => { t = await connectToTestServer(); });
  afterAll(async () => { await t?.close(); });

  it.each(['amd64', 'i386'])('runs the %s builder image and reports it', async (arch) => {
    const config = testConfig([{ name: 'probe', url: '/nonexistent' }]);
    const orchestrator = await createOrchestratorWorker({
      connection: t.workerConnection, namespace: t.namespace, workflowBundle: await workflowBundle(), config,
    });
    const builder = await createBuildWorker({
      connection: t.workerConnection, namespace: t.namespace, arch, ...noExchange(config.dataDir, arch),
    });
    const result = await withWorkers([orchestrator, builder], () =>
      t.client.workflow.execute('builderProbeWorkflow', {
        taskQueue: ORCHESTRATOR_TASK_QUEUE,
        workflowId: uniqueId(`probe-${arch}`),
        args: [{ suite: 'bookworm', arch }],
      }),
    );
    expect(result.image).toBe(builderImageTag('bookworm', arch));
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain(`arch=${arch} user=builder`);
    expect(result.output).toMatch(/Debian dpkg-buildpackage version 1\.21/);
  });

  it('runs a pacman builder image (the tree format\'s) and reports makepkg', async () => {
    const config = testConfig([{ name: 'probe', url: '/nonexistent', format: 'pacman' }]);
    const orchestrator = await createOrchestratorWorker({
      connection: t.workerConnection, namespace: t.namespace, workflowBundle: await workflowBundle(), config,
    });
    const builder = await createBuildWorker({
      connection: t.workerConnection, namespace: t.namespace, arch: 'x86_64', ...noExchange(config.dataDir, 'x86_64'),
    });
    const result = await withWorkers([orchestrator, builder], () =>
      t.client.workflow.execute('builderProbeWorkflow', {
        taskQueue: ORCHESTRATOR_TASK_QUEUE,
        workflowId: uniqueId('probe-pacman'),
        args: [{ suite: 'bookworm', arch: 'x86_64', format: 'pacman' }],
      }),
    );
    expect(result.image).toBe(builderImageTag('bookworm', 'x86_64', undefined, 'pacman'));
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain('user=builder uname=x86_64');
    expect(result.output).toMatch(/makepkg \(pacman\) \d/);
  });
});
