import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { checkDockerEngine } from '../activities/docker/engine';
import { TemporalDevServer } from '../workers/lib/temporal-dev-server';
import { freePort } from './helpers/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalDataDir: string;
  }
}

// One real Temporal dev server per test run (fresh SQLite file), shared by every integration file; and the real
// Docker engine. Either missing is a failure naming the setup command, never a silent skip. The run's directory holds
// the server's files and every test data dir (test/helpers/config.ts), and goes when the run ends.
let server: TemporalDevServer | undefined;
let serverDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  await checkDockerEngine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-test-temporal-'));
  serverDir = dir;
  server = new TemporalDevServer({
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
    port: await freePort(),
    uiPort: await freePort(),
  });
  await server.start();
  project.provide('temporalAddress', server.address);
  project.provide('temporalDataDir', dir);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (serverDir) fs.rmSync(serverDir, { recursive: true, force: true });
}
