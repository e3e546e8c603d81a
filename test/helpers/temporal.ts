import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { workflowsPath } from '../../workers/lib/workflow-source';

let runtimeInstalled = false;

/** Worker logs only at WARN in tests: failures stay readable. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this process by another helper: keep that one.
  }
}

export interface TemporalTestContext {
  address: string;
  namespace: string;
  client: Client;
  connection: Connection;
  workerConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectToTestServer(): Promise<TemporalTestContext> {
  quietRuntime();
  const address = inject('temporalAddress');
  const namespace = 'default';
  const connection = await Connection.connect({ address });
  const workerConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace });
  return {
    address,
    namespace,
    client,
    connection,
    workerConnection,
    async close() {
      await connection.close();
      await workerConnection.close();
    },
  };
}

let bundle: Promise<{ code: string }> | undefined;

/** Bundling takes seconds: once per test file. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
  return bundle;
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** Run workers for the duration of `fn`, then shut them down and wait for them. */
export async function withWorkers<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
  const running = workers.map((w) => w.run());
  try {
    return await fn();
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(running);
  }
}
