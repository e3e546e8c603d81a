import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import { stopWithParent } from './parent-death';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Keeps the embedded default's processes running: prefixes their output, restarts one that dies with a backoff,
 * and on stop sends SIGTERM to all and waits for them (SIGKILL after a grace period). Children get SIGTERM from the
 * kernel when the supervisor dies, even by SIGKILL.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  constructor(private readonly out: (line: string) => void = (line) => process.stdout.write(line + '\n')) {}

  start(spec: ChildSpec, attempt = 0): void {
    // A supervisor that is SIGKILLed cannot stop its children: the kernel does (see parent-death.ts).
    const { command, args } = stopWithParent(spec.command, spec.args);
    const child = spawn(command, args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.set(spec.name, child);
    const label = spec.name.padEnd(14);
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => this.out(`${label}| ${line}`));
    }
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (this.children.get(spec.name) === child) this.children.delete(spec.name);
      if (this.stopping) return;
      // A process that ran a while and then died starts over at a short backoff; a crash loop backs off to 30 s.
      const next = Date.now() - startedAt > 60_000 ? 0 : attempt + 1;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.max(0, next - 1));
      this.out(`${label}| exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s`);
      setTimeout(() => { if (!this.stopping) this.start(spec, next); }, delay).unref();
    });
  }

  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.children.values()].map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
    })));
  }
}
