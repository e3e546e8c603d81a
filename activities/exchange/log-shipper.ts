import * as fs from 'node:fs';
import type { BlobClient } from './blob-client';

const CHUNK_BYTES = 1 << 20;

/**
 * Ships a local build log to Kiln's API as it grows (every `intervalMs`), so the UI follows a build on another
 * machine live. The server's log may already hold earlier attempts and the orchestrator's lines: this worker's bytes
 * go after what it had when shipping began. `finish()` sends the rest; it throws when the log could not be delivered
 * (the activity then fails and is retried: a build's log is never silently lost).
 */
export class LogShipper {
  private base = 0;
  private sent = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failure?: Error;
  private gaveUp = false;

  private constructor(private readonly client: BlobClient, private readonly logPath: string, private readonly file: string) {}

  static async start(client: BlobClient, logPath: string, file: string, intervalMs = 1_000): Promise<LogShipper> {
    const shipper = new LogShipper(client, logPath, file);
    shipper.base = await client.logSize(logPath);
    shipper.timer = setInterval(() => { void shipper.tick(); }, intervalMs);
    return shipper;
  }

  private tick(): Promise<void> {
    this.running ??= this.ship().catch((err: unknown) => {
      // A later tick tries again; only a conflict (another writer took the log over) stops shipping for good.
      this.failure = err as Error;
      if ((err as { status?: number }).status === 409) this.gaveUp = true;
    }).finally(() => { this.running = undefined; });
    return this.running;
  }

  private async ship(): Promise<void> {
    if (this.gaveUp) return;
    const handle = await fs.promises.open(this.file, 'r');
    try {
      const size = (await handle.stat()).size;
      while (this.sent < size) {
        const length = Math.min(CHUNK_BYTES, size - this.sent);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, this.sent);
        if (bytesRead === 0) break;
        await this.client.appendLog(this.logPath, this.base + this.sent, buffer.subarray(0, bytesRead));
        this.sent += bytesRead;
      }
      this.failure = undefined;
    } finally {
      await handle.close();
    }
  }

  /** Stop the timer and send what is left (a few tries); throws if the log could not be delivered whole. */
  async finish(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    for (let attempt = 0; attempt < 5 && !this.gaveUp; attempt++) {
      await this.tick();
      if (!this.failure) return;
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
    throw new Error(`the build log could not be sent to Kiln's API (${this.failure?.message ?? 'unknown error'}); retrying`);
  }

  /** Stop without sending more (the activity is failing anyway). */
  stop(): void {
    clearInterval(this.timer);
  }
}
