import * as os from 'node:os';
import { processAlive } from '../builder/key-lock';
import { docker } from './engine';

/**
 * Remove build containers whose worker process on this host is gone (killed mid-build): their builds are retried
 * by Temporal elsewhere, and a leftover container would only burn CPU and hold memory. Run at build-worker start.
 */
export async function reapOrphanedBuilds(log: (line: string) => void = () => undefined): Promise<number> {
  const containers = await docker().listContainers({ all: true, filters: { label: ['org.kiln.worker-pid', `org.kiln.worker-host=${os.hostname()}`] } });
  let reaped = 0;
  for (const info of containers) {
    const pid = Number(info.Labels['org.kiln.worker-pid']);
    if (pid === process.pid || (Number.isInteger(pid) && processAlive(pid))) continue;
    await docker().getContainer(info.Id).remove({ force: true }).catch(() => undefined);
    log(`removed container ${info.Id.slice(0, 12)} of build ${info.Labels['org.kiln.build-key']} (its worker, pid ${pid}, is gone)`);
    reaped++;
  }
  return reaped;
}
