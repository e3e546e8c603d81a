// Process entry: the API (fastify): webhooks, REST API, web UI, repositories and logs over HTTP.
import { Client, Connection } from '@temporalio/client';
import { checkDockerEngine } from '../activities/docker/engine';
import { KilnError } from '../domain/errors';
import { temporalConnectionOptions } from '../domain/temporal-connection';
import { loadProcessConfig, processArgs, runMain } from '../workers/lib/process';
import { buildApp } from './app';
import { temporalPushControl } from './data/push-control';
import { requestPush } from './intake/request-push';

runMain('api', async () => {
  const { configFile } = processArgs();
  const config = loadProcessConfig(configFile);
  // Read before connecting: a bad TLS file is its own error (TEMPORAL_TLS_FILE_INVALID), not an unreachable server.
  const options = temporalConnectionOptions(config.temporal);
  let connection: Connection;
  try {
    connection = await Connection.connect(options);
  } catch (err) {
    throw new KilnError('TEMPORAL_UNAVAILABLE', `cannot reach Temporal at ${config.temporal.address}: ${String(err)}`);
  }
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const app = buildApp({
    config,
    intake: (push, requestedBy) => requestPush(client, push, requestedBy),
    control: temporalPushControl(client, config),
    logger: true,
    health: {
      temporal: async () => { await client.workflowService.getSystemInfo({}); },
      docker: checkDockerEngine,
    },
  });
  await app.listen({ host: config.api.host, port: config.api.port });
  console.log(`kiln api: listening on ${config.api.publicUrl} (Temporal ${config.temporal.address})`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
  await connection.close();
});
