import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { stopWithParent } from './parent-death';
import { temporalBinary } from './temporal-binary';

export interface DevServerOptions {
  /** SQLite file: the whole Temporal state. Same file on restart = same workflows. */
  dbFile: string;
  port: number;
  uiPort: number;
  host?: string;
  /** Server output goes here, not to our stdout. */
  logFile: string;
  namespace?: string;
}

/**
 * The Temporal dev server (`temporal server start-dev`) as a child process. Used by `npm start` and by the tests,
 * which also stop and restart it mid-push to prove Kiln resumes.
 */
export class TemporalDevServer {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private readonly crashListeners = new Set<(how: string) => void>();

  constructor(readonly options: DevServerOptions) {}

  get address(): string {
    return `${this.options.host ?? '127.0.0.1'}:${this.options.port}`;
  }

  get uiUrl(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.options.uiPort}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    if (this.child) return;
    const { dbFile, port, uiPort, logFile } = this.options;
    fs.mkdirSync(path.dirname(dbFile), { recursive: true });
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    if (await portInUse(this.options.host ?? '127.0.0.1', port)) {
      throw new Error(`port ${port} is already in use: another Temporal server is running there (stop it, or choose another port)`);
    }
    const log = fs.openSync(logFile, 'a');
    // Whoever started the server (the embedded supervisor, a test run) may be SIGKILLed: the server goes with it.
    const command = stopWithParent(
      temporalBinary(),
      [
        'server', 'start-dev',
        '--db-filename', dbFile,
        '--ip', this.options.host ?? '127.0.0.1',
        '--port', String(port),
        '--ui-port', String(uiPort),
        '--namespace', this.options.namespace ?? 'default',
        '--log-level', 'warn',
      ],
    );
    const child = spawn(command.command, command.args, { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const died = this.exited.then(() => {
      throw new Error(`the Temporal dev server exited during start; see ${logFile}`);
    });
    try {
      await Promise.race([waitForFrontend(this.address, timeoutMs), died]);
    } catch (err) {
      await this.stop();
      throw err;
    }
    // From here on, an exit that stop() did not ask for is a crash: whoever keeps the server running hears of it.
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      for (const listener of this.crashListeners) listener(signal ?? `code ${code}`);
    });
  }

  /** Calls `listener` (with the signal or exit code) whenever the running server exits without stop(). */
  onCrash(listener: (how: string) => void): void {
    this.crashListeners.add(listener);
  }

  /** Stop gracefully (SIGTERM), then SIGKILL after a grace period. `kill: true` simulates a crash. */
  async stop({ kill = false, graceMs = 10_000 } = {}): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(kill ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Ready means: the frontend answers a real RPC, not just that the port is open. Plain gRPC: the dev server has no TLS,
 * and the config refuses `temporal.tls` with `temporal.embedded` (domain/config/semantic-checks.ts).
 */
async function waitForFrontend(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`the Temporal dev server at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}
