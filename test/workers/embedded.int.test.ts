import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { ORCHESTRATOR_TASK_QUEUE } from '../../domain/task-queues';
import { EmbeddedKiln } from '../helpers/embedded-kiln';
import { freePort } from '../helpers/ports';
import { pushStatusText } from '../helpers/push-result';

// `npm start`'s process tree, for real: the compiled supervisor (dist/, built by `npm test` before vitest) starts its
// own Temporal dev server on a SQLite file in the data dir, every worker and the API; a killed Temporal server comes
// back by itself; SIGINT stops it all; a restart on the same data dir finds the same Temporal state.
/** The pid of the Temporal dev server running on `dbFile` (setpriv execs it: its command line is the server's). */
function devServerPid(dbFile: string): number | undefined {
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let args: string[];
    try { args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0'); } catch { continue; }
    if (args.includes('start-dev') && args.includes(dbFile)) return Number(entry);
  }
  return undefined;
}

describe('npm start (embedded default)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-embedded-'));
  let kiln: EmbeddedKiln | undefined;
  afterAll(async () => {
    if (kiln?.alive) { kiln.killGroup(); await kiln.exited; }
  });

  it('starts every process, stops on SIGINT, and keeps Temporal state across a restart', async () => {
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    // On failure (a timeout too): what every process printed, with times, and where the push stood.
    const current: { pushId?: string } = {};
    onTestFailed(async () => {
      let status = '(not pushed)';
      const pushId = current.pushId;
      if (pushId) {
        const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` }).catch(() => undefined);
        status = connection ? await pushStatusText(new Client({ connection }), pushId).catch((err: unknown) => String(err)) : '(Temporal unreachable)';
        await connection?.close();
      }
      console.error(`----- npm start output -----\n${kiln?.tail(400) ?? '(not started)'}\n----- push ${pushId} -----\n${status}`);
    });
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

    kiln = new EmbeddedKiln(configFile);
    await kiln.waitFor(/kiln api: listening/);
    await kiln.waitFor(/kiln orchestrator: task queue kiln/);
    await kiln.waitFor(/kiln build worker: arch amd64/);
    await kiln.waitFor(/kiln build worker: arch i386/);
    await kiln.waitFor(/kiln signer:/);
    await kiln.waitFor(/kiln: pushed example/);
    expect(kiln.output()).toContain(`Temporal UI      http://127.0.0.1:${uiPort}`);

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
    const pushed = /pushed example \(.*\) as main@[0-9a-f]{12}: (push\/example\/main\/[0-9a-f]{40})/.exec(kiln.output());
    expect(pushed).not.toBeNull();
    const pushId = pushed![1];
    current.pushId = pushId;
    const result = await client.workflow.getHandle(pushed![1]).result();
    expect(result.outcome).toBe('succeeded');
    expect(result.status.builds.map((b: { id: string }) => b.id).sort()).toEqual([
      'kiln-docs/amd64', 'kiln-greet/amd64', 'kiln-greet/i386', 'kiln-hello/amd64', 'kiln-hello/i386', 'kiln-motd/amd64',
      'libkiln/amd64', 'libkiln/i386',
    ]);
    // ...and is published, signed, served by the API, with the lines a user adds printed.
    expect(result.status.publish).toMatchObject({ outcome: 'published', snapshot: 1 });
    await kiln.waitFor(/published example\/main as snapshot 1[^]*minisign -Vm/);
    expect(kiln.output()).toContain(`deb [signed-by=/usr/share/keyrings/kiln-example.gpg] http://127.0.0.1:${apiPort}/repos/example/main main main`);
    const inRelease = await fetch(`http://127.0.0.1:${apiPort}/repos/example/main/dists/main/InRelease`);
    expect(inRelease.status).toBe(200);
    expect(await inRelease.text()).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----/);
    await connection.close();

    // It heals itself: kill -9 of its Temporal server, and the server is back on the same SQLite file, with the
    // workflows it had; the orchestrator and a build worker take work again.
    const dbFile = path.join(dataDir, 'data', 'temporal.db');
    const serverPid = devServerPid(dbFile);
    expect(serverPid).toBeDefined();
    process.kill(serverPid!, 'SIGKILL');
    await kiln.waitFor(/the Temporal dev server exited \(SIGKILL\); restarting it/, 30_000);
    await kiln.waitFor(/the Temporal dev server is back/, 90_000);
    expect(devServerPid(dbFile)).not.toBe(serverPid);
    const healed = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const healedClient = new Client({ connection: healed });
    expect((await healedClient.workflow.getHandle(pushId).describe()).status.name).toBe('COMPLETED');
    const afterCrash = await healedClient.workflow.execute('builderProbeWorkflow', {
      taskQueue: ORCHESTRATOR_TASK_QUEUE, workflowId: 'embedded-probe-after-crash', args: [{ suite: 'bookworm', arch: 'amd64' }],
    });
    expect(afterCrash.exitCode).toBe(0);
    await healed.close();

    kiln.child.kill('SIGINT');
    expect((await kiln.exited).code).toBe(0);
    expect(kiln.output()).toContain('kiln: stopped');
    expect(fs.existsSync(path.join(dataDir, 'data', 'temporal.db'))).toBe(true);

    // Same data dir: the workflow that ran before is still there.
    kiln = new EmbeddedKiln(configFile);
    await kiln.waitFor(/kiln api: listening/);
    const again = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const described = await new Client({ connection: again }).workflow.getHandle('embedded-probe').describe();
    expect(described.status.name).toBe('COMPLETED');
    await again.close();
    kiln.child.kill('SIGINT');
    expect((await kiln.exited).code).toBe(0);
  }, 360_000);
});
