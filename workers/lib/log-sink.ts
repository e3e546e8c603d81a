import * as fs from 'node:fs';
import * as path from 'node:path';

// Every line a supervised process prints, kept in <dataDir>/logs/<process>.log whatever the terminal shows: JSON
// lines as they are, plain lines (a start line, a stack trace) wrapped as {time, level, process, msg} so the file
// is JSON lines throughout (level info from stdout, error from stderr). The files sit beside temporal.log; build
// logs are in logs/<tree>/ directories, so a process's file never meets them.
//
// Each file is opened once, for appending, and written synchronously: a line is on disk when write returns, so a
// supervisor that is killed loses none, and a write error is caught here instead of surfacing in a stream event.
// Logging never stops Kiln: a file that cannot be opened or written is reported once on stderr and then skipped.

export type LineStream = 'stdout' | 'stderr';

export interface ProcessLogOptions {
  /** A file this size or larger at open is moved to `<process>.log.1` first (one previous file kept). 64 MiB. */
  rotateBytes?: number;
  /** Where a broken file is reported; default stderr. */
  report?: (message: string) => void;
  now?: () => Date;
}

/** `build-amd64` → `build-amd64.log`; anything that is not a plain name cannot leave the directory. */
export function processLogName(processName: string): string {
  return `${processName.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')}.log`;
}

export class ProcessLogFiles {
  private readonly files = new Map<string, number | undefined>();
  private readonly rotateBytes: number;
  private readonly report: (message: string) => void;
  private readonly now: () => Date;

  constructor(readonly dir: string, options: ProcessLogOptions = {}) {
    this.rotateBytes = options.rotateBytes ?? 64 * 1024 * 1024;
    this.report = options.report ?? ((message) => { process.stderr.write(message + '\n'); });
    this.now = options.now ?? (() => new Date());
  }

  /** The file of `processName`. */
  file(processName: string): string {
    return path.join(this.dir, processLogName(processName));
  }

  /** Appends one line `processName` printed on `stream`. Never throws. */
  write(processName: string, line: string, stream: LineStream = 'stdout'): void {
    const json = line.startsWith('{') && isJsonObject(line);
    this.append(processName, json ? line : this.wrap(processName, stream === 'stderr' ? 'error' : 'info', line));
  }

  /** Appends a line of the supervisor's own about `processName` (it exited, it restarts). Never throws. */
  note(processName: string, msg: string): void {
    this.append(processName, this.wrap(processName, 'warn', msg, { by: 'supervisor' }));
  }

  close(): void {
    for (const [name, fd] of this.files) {
      if (fd !== undefined) {
        try { fs.closeSync(fd); } catch { /* closing is best effort */ }
      }
      this.files.set(name, undefined);
    }
  }

  private wrap(processName: string, level: string, msg: string, extra: Record<string, string> = {}): string {
    return JSON.stringify({ time: this.now().toISOString(), level, process: processName, msg, ...extra });
  }

  private append(processName: string, line: string): void {
    const file = this.file(processName);
    const fd = this.files.has(file) ? this.files.get(file) : this.open(file);
    if (fd === undefined) return;
    try {
      const data = Buffer.from(line.replace(/[\r\n]+/g, ' ') + '\n');
      for (let written = 0; written < data.length;) written += fs.writeSync(fd, data, written);
    } catch (err) {
      this.broken(file, err);
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
  }

  private open(file: string): number | undefined {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      if (size >= this.rotateBytes) fs.renameSync(file, `${file}.1`);
      const fd = fs.openSync(file, 'a');
      this.files.set(file, fd);
      return fd;
    } catch (err) {
      this.broken(file, err);
      return undefined;
    }
  }

  /** Reported once: the file is left alone from now on (its process's lines still reach the terminal). */
  private broken(file: string, err: unknown): void {
    this.files.set(file, undefined);
    const why = err instanceof Error ? err.message : String(err);
    this.report(`kiln: cannot write ${file} (${why}); that process's lines are no longer kept there`);
  }
}

function isJsonObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
