import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as readline from 'node:readline';
import * as path from 'node:path';
import { docker } from '../../activities/docker/engine';
import { PROJECT_ROOT } from '../../domain/project-paths';

// A whole Kiln as `npm start` runs it (dist/workers/embedded.js: its own Temporal dev server, every worker, the API),
// in its own process group so that a failed test can kill all of it; its output kept, with times, for diagnosis.

export class EmbeddedKiln {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();
  private readonly startedAt = Date.now();

  constructor(configFile: string) {
    this.child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist/workers/embedded.js'), '--config', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(`+${((Date.now() - this.startedAt) / 1000).toFixed(1)}s ${line}`);
        for (const wake of this.waiters) wake();
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => {
      for (const wake of this.waiters) wake();
      resolve(code);
    }));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Until a line of its output matches; fails at once if Kiln exits first. */
  waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no Kiln output matching ${pattern} within ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (err) reject(err); else resolve();
      };
      const check = () => {
        if (this.lines.some((l) => pattern.test(l))) done();
        else if (!this.alive) done(new Error(`Kiln exited before printing ${pattern}:\n${this.tail()}`));
      };
      this.waiters.add(check);
      check();
    });
  }

  tail(n = 80): string {
    return this.lines.slice(-n).join('\n');
  }

  /** SIGINT (Kiln stops its processes, then Temporal); the whole group is SIGKILLed if that takes too long. Build
   * containers left behind by its (now dead) workers are removed. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.alive) {
      this.child.kill('SIGINT');
      const timer = setTimeout(() => { try { process.kill(-this.child.pid!, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    try { process.kill(-this.child.pid!, 'SIGKILL'); } catch { /* the group is gone */ }
    await removeOrphanContainers();
  }
}

/** Build containers of this host whose worker process no longer exists (as a restarted build worker would). */
async function removeOrphanContainers(): Promise<void> {
  const list = await docker().listContainers({ all: true, filters: { label: ['org.kiln.worker-pid', `org.kiln.worker-host=${os.hostname()}`] } });
  for (const c of list) {
    const pid = Number(c.Labels['org.kiln.worker-pid']);
    let alive = true;
    try { process.kill(pid, 0); } catch { alive = false; }
    if (!alive) await docker().getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
}
