import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';

// A child process of a test whose output is kept (line by line, with when each came) and waited on: Kiln's workers,
// the whole `npm start`, the `kiln` CLI. One mechanism for all of them, so a failing wait always shows the output.

export interface WatchOptions {
  env?: NodeJS.ProcessEnv;
  /** Its own process group: `killGroup` then ends it and every process it started. */
  detached?: boolean;
}

export class WatchedProcess {
  readonly child: ChildProcess;
  /** Its stdout and stderr lines, as they came. */
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly times: number[] = [];
  /** `lines` joined, kept as they come: waits look at it after every line. */
  private text = '';
  private readonly waiters = new Set<() => void>();
  private readonly startedAt = Date.now();

  constructor(readonly name: string, command: string, args: string[], options: WatchOptions = {}) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, detached: options.detached });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => this.add(line));
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      this.wake();
      resolve({ code, signal });
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything it printed so far, one string. */
  output(): string {
    return this.text;
  }

  /** Until its output so far matches (across lines: `^`/`$` with the m flag are line ends); fails if it exits first. */
  waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${this.name}: no output matching ${pattern} within ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      const done = (err?: Error, match?: RegExpExecArray) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (err) reject(err); else resolve(match!);
      };
      const check = () => {
        const match = pattern.exec(this.output());
        if (match) done(undefined, match);
        else if (!this.alive) done(new Error(`${this.name} exited (${this.child.signalCode ?? `code ${this.child.exitCode}`}) before printing ${pattern}:\n${this.tail()}`));
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Send `signal` and wait until the process is gone (and reaped: its pid is free, not a zombie). */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL its whole process group (a `detached` one): what it started goes too. */
  killGroup(): void {
    try { process.kill(-this.pid, 'SIGKILL'); } catch { /* the group is gone */ }
  }

  /** The last `n` lines (of those `keep` keeps), each with its time since the start, and how it ended. */
  tail(n = 80, keep: (line: string) => boolean = () => true): string {
    const stamped = this.lines.map((line, i) => ({ line, at: this.times[i] })).filter(({ line }) => keep(line));
    const shown = stamped.slice(-n).map(({ line, at }) => `+${((at - this.startedAt) / 1000).toFixed(1)}s ${line}`);
    if (stamped.length > shown.length) shown.unshift(`(${stamped.length - shown.length} earlier lines left out)`);
    if (!this.alive) shown.push(`[exited: ${this.child.signalCode ?? `code ${this.child.exitCode}`}]`);
    return shown.join('\n');
  }

  private add(line: string): void {
    this.text = this.lines.length === 0 ? line : `${this.text}\n${line}`;
    this.lines.push(line);
    this.times.push(Date.now());
    this.wake();
  }

  private wake(): void {
    for (const wake of this.waiters) wake();
  }
}
