import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import { stopWithParent } from './parent-death';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export type ChildStream = 'stdout' | 'stderr';

export interface SupervisorOptions {
  /** One line a child printed. Default: `out`, behind the child's name. */
  onLine?: (name: string, line: string, stream: ChildStream) => void;
  /** The supervisor's own word about a child (it exited, it restarts). Default: `out`, behind the child's name. */
  onNote?: (name: string, text: string) => void;
}

/** `orchestrator  | <line>`: a line behind the name of the process that printed it. */
export function labelled(name: string, line: string): string {
  return `${name.padEnd(14)}| ${line}`;
}

/**
 * Keeps the embedded default's processes running: hands on their output line by line, restarts one that dies with a
 * backoff, and on stop sends SIGTERM to all and waits for them (SIGKILL after a grace period). Children get SIGTERM
 * from the kernel when the supervisor dies, even by SIGKILL. What becomes of a line (rendered, kept in a file) is the
 * caller's: this module imports Node builtins only, so a test can run it alone.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  private readonly onLine: NonNullable<SupervisorOptions['onLine']>;
  private readonly onNote: NonNullable<SupervisorOptions['onNote']>;

  constructor(out: (line: string) => void = (line) => process.stdout.write(line + '\n'), options: SupervisorOptions = {}) {
    this.onLine = options.onLine ?? ((name, line) => out(labelled(name, line)));
    this.onNote = options.onNote ?? ((name, text) => out(labelled(name, text)));
  }

  start(spec: ChildSpec, attempt = 0): void {
    // A supervisor that is SIGKILLed cannot stop its children: the kernel does (see parent-death.ts).
    const { command, args } = stopWithParent(spec.command, spec.args);
    const child = spawn(command, args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.set(spec.name, child);
    for (const [kind, stream] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
      readline.createInterface({ input: stream }).on('line', (line) => this.onLine(spec.name, line, kind));
    }
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (this.children.get(spec.name) === child) this.children.delete(spec.name);
      if (this.stopping) return;
      // A process that ran a while and then died starts over at a short backoff; a crash loop backs off to 30 s.
      const next = Date.now() - startedAt > 60_000 ? 0 : attempt + 1;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.max(0, next - 1));
      this.onNote(spec.name, `exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s`);
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
