import * as os from 'node:os';
import * as path from 'node:path';
import { docker } from '../../activities/docker/engine';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { WatchedProcess } from './watched-process';

// A whole Kiln as `npm start` runs it (dist/workers/embedded.js: its own Temporal dev server, every worker, the API),
// in its own process group so that a failed test can kill all of it; its output kept, with times, for diagnosis.

export class EmbeddedKiln extends WatchedProcess {
  constructor(configFile: string) {
    super('kiln', process.execPath, [path.join(PROJECT_ROOT, 'dist/workers/embedded.js'), '--config', configFile], { detached: true });
  }

  /** SIGINT (Kiln stops its processes, then Temporal); the whole group is SIGKILLed if that takes too long. Build
   * containers left behind by its (now dead) workers are removed. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.alive) {
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.killGroup(), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.killGroup();
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
