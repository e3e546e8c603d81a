import * as fs from 'node:fs';

/**
 * A build's log file, capped: past `maxBytes` it writes one line saying it was cut and drops the rest, and
 * `onLimit` fires once (the build is then stopped). A write error (ENOSPC, EIO) never throws into the worker: it is
 * kept and fails the build.
 */
export class BuildLog {
  private readonly stream: fs.WriteStream;
  private bytes = 0;
  private cut = false;
  private failure: Error | undefined;

  /** Set by the build once its container exists: what to do when the log is cut. */
  onLimit: () => void = () => undefined;

  constructor(readonly file: string, private readonly maxBytes: number) {
    this.stream = fs.createWriteStream(file, { flags: 'a', mode: 0o644 });
    this.stream.on('error', (err) => { this.failure ??= err; });
  }

  get size(): number { return this.bytes; }
  get truncated(): boolean { return this.cut; }
  get error(): Error | undefined { return this.failure; }

  write(text: string | Buffer): void {
    if (this.cut || this.failure) return;
    const length = Buffer.byteLength(text);
    if (this.bytes + length > this.maxBytes) {
      const room = Math.max(0, this.maxBytes - this.bytes);
      const buffer = typeof text === 'string' ? Buffer.from(text) : text;
      if (room > 0) this.stream.write(buffer.subarray(0, room));
      this.bytes += room;
      this.cut = true;
      this.stream.write(`\n===== kiln: log cut at ${Math.round(this.maxBytes / 1048576)} MiB (build.logMaxMb); the build is stopped =====\n`);
      this.onLimit();
      return;
    }
    this.bytes += length;
    this.stream.write(text);
  }

  /** A line Kiln itself writes: always kept, even after the cut (it is small and says what happened). */
  note(text: string): void {
    if (this.failure) return;
    this.stream.write(text);
  }

  async close(): Promise<void> {
    if (this.stream.destroyed) return;
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
  }
}
