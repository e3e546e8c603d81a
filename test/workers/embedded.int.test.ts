import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { ORCHESTRATOR_TASK_QUEUE } from '../../domain/task-queues';
import { freePort } from '../helpers/ports';

// `npm start`'s process tree, for real: the compiled supervisor (dist/, built by `npm test` before vitest) starts its
// own Temporal dev server on a SQLite file in the data dir, every worker and the API; SIGINT stops it all; a restart
// on the same data dir finds the same Temporal state.
const entry = path.join(PROJECT_ROOT, 'dist/workers/embedded.js');

interface Running {
  child: ChildProcess;
  output: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

function startKiln(configFile: string): Running {
  // Its own process group: a failed test kills the supervisor and every process it started, not just the supervisor.
  const child = spawn(process.execPath, [entry, '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output: string[] = [];
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => { output.push(chunk.toString()); for (const w of waiters) w(); };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output,
    exited,
    waitFor(pattern, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output.join(''))) { waiters.delete(check); clearTimeout(timer); resolve(); }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${output.join('')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

describe('npm start (embedded default)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-embedded-'));
  let kiln: Running | undefined;
  afterAll(async () => {
    if (kiln && kiln.child.exitCode === null) { process.kill(-kiln.child.pid!, 'SIGKILL'); await kiln.exited; }
  });

  it('starts every process, stops on SIGINT, and keeps Temporal state across a restart', async () => {
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const configFile = path.join(dataDir, 'kiln.yaml');
    fs.writeFileSync(configFile, [
      `dataDir: ${path.join(dataDir, 'data')}`,
      `api: { port: ${apiPort} }`,
      `temporal: { address: 127.0.0.1:${temporalPort}, uiUrl: http://127.0.0.1:${uiPort} }`,
      'trees:',
      '  - name: example',
      `    url: ${path.join(PROJECT_ROOT, 'examples/ports')}`,
      '    format: deb',
      '    distribution: bookworm',
      '    branches: [main]',
      '    architectures: [amd64, i386]',
    ].join('\n'));

    kiln = startKiln(configFile);
    await kiln.waitFor(/kiln api: listening/);
    await kiln.waitFor(/kiln orchestrator: task queue kiln/);
    await kiln.waitFor(/kiln build worker: arch amd64/);
    await kiln.waitFor(/kiln build worker: arch i386/);
    await kiln.waitFor(/kiln signer:/);
    await kiln.waitFor(/kiln: pushed example/);
    expect(kiln.output.join('')).toContain(`Temporal UI      http://127.0.0.1:${uiPort}`);

    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBe(200);
    const health = await fetch(`http://127.0.0.1:${apiPort}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true });

    // A workflow through the embedded processes: orchestrator → build-i386 worker → container.
    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const client = new Client({ connection });
    const probe = await client.workflow.execute('builderProbeWorkflow', {
      taskQueue: ORCHESTRATOR_TASK_QUEUE, workflowId: 'embedded-probe', args: [{ suite: 'bookworm', arch: 'i386' }],
    });
    expect(probe.exitCode).toBe(0);

    // The example tree (a plain directory) was imported and pushed at start: it builds, all of it.
    const pushed = /pushed example \(.*\) as main@[0-9a-f]{12}: (push\/example\/main\/[0-9a-f]{40})/.exec(kiln.output.join(''));
    expect(pushed).not.toBeNull();
    const result = await client.workflow.getHandle(pushed![1]).result();
    expect(result.outcome).toBe('succeeded');
    expect(result.status.builds.map((b: { id: string }) => b.id).sort()).toEqual([
      'kiln-docs/amd64', 'kiln-greet/amd64', 'kiln-greet/i386', 'kiln-hello/amd64', 'kiln-hello/i386', 'kiln-motd/amd64',
      'libkiln/amd64', 'libkiln/i386',
    ]);
    // ...and is published, signed, served by the API, with the lines a user adds printed.
    expect(result.status.publish).toMatchObject({ outcome: 'published', snapshot: 1 });
    await kiln.waitFor(/published example\/main as snapshot 1[^]*minisign -Vm/);
    expect(kiln.output.join('')).toContain(`deb [signed-by=/usr/share/keyrings/kiln-example.gpg] http://127.0.0.1:${apiPort}/repos/example/main main main`);
    const inRelease = await fetch(`http://127.0.0.1:${apiPort}/repos/example/main/dists/main/InRelease`);
    expect(inRelease.status).toBe(200);
    expect(await inRelease.text()).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----/);
    await connection.close();

    kiln.child.kill('SIGINT');
    expect(await kiln.exited).toBe(0);
    expect(kiln.output.join('')).toContain('kiln: stopped');
    expect(fs.existsSync(path.join(dataDir, 'data', 'temporal.db'))).toBe(true);

    // Same data dir: the workflow that ran before is still there.
    kiln = startKiln(configFile);
    await kiln.waitFor(/kiln api: listening/);
    const again = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const described = await new Client({ connection: again }).workflow.getHandle('embedded-probe').describe();
    expect(described.status.name).toBe('COMPLETED');
    await again.close();
    kiln.child.kill('SIGINT');
    expect(await kiln.exited).toBe(0);
  }, 240_000);
});
