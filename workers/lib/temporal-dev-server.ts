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
    const { dbFile, logFile } = this.options;
    fs.mkdirSync(path.dirname(dbFile), { recursive: true });
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const host = this.options.host ?? '127.0.0.1';
    for (const [what, port] of [['gRPC', this.options.port], ['Web UI', this.options.uiPort]] as const) {
      if (await portInUse(host, port)) {
        throw new Error(`port ${port} (Temporal ${what}) is already in use: another Temporal server is running there (stop it, or choose another port)`);
      }
    }
    // The server picks its HTTP, metrics and internal service ports itself, each free when it looked; another
    // process may take one before the server binds it. That race is not a reason to stay down: try again.
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.startOnce(timeoutMs);
      if (outcome === 'started') return;
      if (!outcome.portRace || attempt >= START_ATTEMPTS) {
        throw new Error(`the Temporal dev server exited during start${outcome.reason ? `: ${outcome.reason}` : ''}; see ${logFile}`);
      }
    }
  }

  private async startOnce(timeoutMs: number): Promise<'started' | { portRace: boolean; reason?: string }> {
    const { dbFile, port, uiPort, logFile } = this.options;
    const logStart = fileSize(logFile);
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
    const died = this.exited.then(() => 'died' as const);
    let result: 'ready' | 'died';
    try {
      result = await Promise.race([waitForFrontend(this.address, timeoutMs).then(() => 'ready' as const), died]);
    } catch (err) {
      await this.stop();
      throw err;
    }
    if (result === 'died') {
      await this.stop();
      const reason = lastErrorLine(readFrom(logFile, logStart));
      return { portRace: reason !== undefined && /address already in use/.test(reason), reason };
    }
    // From here on, an exit that stop() did not ask for is a crash: whoever keeps the server running hears of it.
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      for (const listener of this.crashListeners) listener(signal ?? `code ${code}`);
    });
    return 'started';
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

const START_ATTEMPTS = 3;
/** What the server says of itself on one start is small; a log grown huge over months is not read whole. */
const LOG_TAIL_BYTES = 64 * 1024;

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): string {
  const size = fileSize(file);
  const start = Math.max(offset, size - LOG_TAIL_BYTES);
  if (size <= start) return '';
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - start);
    fs.readSync(fd, buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** The server's last error line (its `msg`, when it logs structured lines), for the exception an operator reads. */
export function lastErrorLine(output: string): string | undefined {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const errors = lines.filter((l) => /level=(ERROR|FATAL)|"level":"(error|fatal)"|\berror\b/i.test(l));
  const line = errors.at(-1) ?? lines.at(-1);
  if (line === undefined) return undefined;
  const msg = /msg="((?:[^"\\]|\\.)*)"/.exec(line) ?? /"msg":"((?:[^"\\]|\\.)*)"/.exec(line);
  return (msg ? msg[1].replace(/\\"/g, '"') : line).slice(0, 500);
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
