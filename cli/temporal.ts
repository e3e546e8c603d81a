import { Client, Connection } from '@temporalio/client';
import type { KilnConfig } from '../domain/config';
import { KilnError } from '../domain/errors';

export async function connectClient(config: KilnConfig): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 5_000 });
  } catch (err) {
    throw new KilnError('TEMPORAL_UNAVAILABLE', `cannot reach Temporal at ${config.temporal.address}: ${String(err)} (is Kiln running? \`npm start\`)`);
  }
  return { client: new Client({ connection, namespace: config.temporal.namespace }), close: () => connection.close() };
}
