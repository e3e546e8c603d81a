import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from '@temporalio/worker';

// A worker whose every slot is busy stops polling, so Temporal (whose poller list is all a healthcheck can ask it)
// soon forgets it, at once after a server restart. The worker says itself that it is busy: a small status file,
// rewritten every few seconds, that `kiln-healthcheck poller --status-file` reads when Temporal lists no poller.

export interface WorkerStatusFile {
  pid: number;
  hostname: string;
  /** The SDK's run state: RUNNING while it takes work. */
  state: string;
  inFlightActivities: number;
  maxActivities: number;
  /** When this was written (ms since the epoch): a stale file means a hung or dead worker. */
  at: number;
}

export const WORKER_STATUS_EVERY_MS = 10_000;

/** Keeps `file` up to date until the worker stops; returns the stopper. Written whole (temp + rename). */
export function keepWorkerStatus(worker: Worker, file: string, maxActivities: number): () => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const write = () => {
    const status: WorkerStatusFile = {
      pid: process.pid, hostname: os.hostname(), state: worker.getState(),
      inFlightActivities: worker.getStatus().numInFlightActivities, maxActivities, at: Date.now(),
    };
    const temp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temp, `${JSON.stringify(status)}\n`);
      fs.renameSync(temp, file);
    } catch (err) {
      // A full or read-only disk must not stop the builds: the healthcheck then falls back to Temporal's poller list.
      console.error(`kiln build worker: cannot write ${file}: ${String(err)}`);
    }
  };
  write();
  const timer = setInterval(write, WORKER_STATUS_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    fs.rmSync(file, { force: true });
  };
}
