import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, type KilnConfig, type TemporalConfig } from '../../domain/config';
import { KilnError } from '../../domain/errors';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { temporalConnectionOptions } from '../../domain/temporal-connection';

/** The embedded default: the config file shipped at the project root, serving examples/ports. */
export const DEFAULT_CONFIG_FILE = path.join(PROJECT_ROOT, 'kiln.yaml');

export interface ProcessArgs {
  configFile: string;
  values: Record<string, string | boolean | undefined>;
}

/** `--config` wins over KILN_CONFIG, which wins over ./kiln.yaml. Extra string options per process. */
export function processArgs(extra: Record<string, { type: 'string' | 'boolean' }> = {}): ProcessArgs {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { config: { type: 'string' }, ...extra },
    strict: true,
  });
  const configFile = path.resolve((values.config as string | undefined) ?? process.env.KILN_CONFIG ?? DEFAULT_CONFIG_FILE);
  return { configFile, values: values as ProcessArgs['values'] };
}

export function loadProcessConfig(configFile: string): KilnConfig {
  return loadConfig(configFile);
}

/** The workers' connection, with the config's TLS (domain/temporal-connection.ts); Kiln's API connects the same way. */
export async function connectWorker(config: KilnConfig): Promise<NativeConnection> {
  return connectTemporal(config.temporal);
}

export async function connectTemporal(temporal: TemporalConfig): Promise<NativeConnection> {
  const options = temporalConnectionOptions(temporal);
  try {
    return await NativeConnection.connect(options);
  } catch (err) {
    throw new KilnError('TEMPORAL_UNAVAILABLE', `cannot reach Temporal at ${temporal.address}: ${String(err)}`);
  }
}

/** Run a process's main: a clear one-line error and exit 1 instead of a stack trace for known errors. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      const message = err instanceof KilnError ? `${err.code}: ${err.message}` : err instanceof Error ? err.stack ?? err.message : String(err);
      process.stderr.write(`kiln ${name}: ${message}\n`);
      process.exit(1);
    },
  );
}
