import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepTemporalRunning } from '../../workers/lib/temporal-keeper';
import { TemporalDevServer } from '../../workers/lib/temporal-dev-server';
import { freePort } from '../helpers/ports';
import { until } from '../helpers/until';

// The keeper on a real dev server: killed, it is started again; while it cannot start (its port taken), the pause
// between tries grows instead of starting over at 1 s; once the port is free it is back, on the same state.
describe('keepTemporalRunning', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-keeper-'));
  let server: TemporalDevServer | undefined;
  let keeper: { stop(): void } | undefined;
  afterAll(async () => {
    keeper?.stop();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('restarts a killed server, backing off while it cannot start', async () => {
    const port = await freePort();
    server = new TemporalDevServer({ dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log'), port, uiPort: await freePort() });
    await server.start();
    const lines: string[] = [];
    // A short "ran long enough" window (60 s in npm start): the server below outlives it before it is killed, so
    // only a failed start, not the time since the last good one, decides the next pause.
    keeper = keepTemporalRunning(server, (line) => lines.push(line), { resetAfterMs: 500 });
    await new Promise((r) => setTimeout(r, 1_000));

    // The port is taken the moment the server dies: the restarts fail until it is given back.
    const pid = (server as unknown as { child: { pid: number } }).child.pid;
    const blocker = net.createServer();
    process.kill(pid, 'SIGKILL');
    await until('the port to be free', () => new Promise((resolve) => {
      blocker.once('error', () => resolve(false));
      blocker.listen(port, '127.0.0.1', () => resolve(true));
    }), 10_000, 50);
    await until('three failed restarts', () => lines.filter((l) => /did not start again/.test(l)).length >= 3, 30_000);
    blocker.close();
    await until('the server back', () => lines.some((l) => /is back at/.test(l)), 60_000);

    const delays = lines.map((l) => /restarting it in (\d+) s/.exec(l)?.[1]).filter(Boolean).map(Number);
    expect(lines[0]).toMatch(/exited \(SIGKILL\); restarting it in 1 s/);
    expect(delays.slice(0, 4)).toEqual([1, 2, 4, 8]);
    expect(server.running).toBe(true);
  }, 120_000);
});
