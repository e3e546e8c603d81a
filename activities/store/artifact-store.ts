import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** An upload the store refused: nothing of it was kept. */
export class BlobRefused extends Error {
  constructor(readonly reason: 'digest' | 'too-large', message: string) {
    super(message);
  }
}

export interface StoredArtifact {
  sha256: string;
  size: number;
  /** Absolute path in the store: data/store/<sha256>. */
  path: string;
}

/**
 * Content-addressed artifact store: every built file once, named by its SHA-256. Adding is idempotent (same content,
 * same name), and files are written to a temp name and renamed in, so a crash leaves no half file under a hash.
 */
export class ArtifactStore {
  constructor(readonly dir: string) {}

  pathOf(sha256: string): string {
    return path.join(this.dir, sha256);
  }

  async add(file: string): Promise<StoredArtifact> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const sha256 = await sha256File(file);
    const target = this.pathOf(sha256);
    const size = (await fs.promises.stat(file)).size;
    if (!(await this.keep(sha256))) {
      const tmp = `${target}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
      await fs.promises.copyFile(file, tmp);
      await fs.promises.chmod(tmp, 0o444);
      await fs.promises.rename(tmp, target);
    }
    return { sha256, size, path: target };
  }

  /**
   * Store what a stream holds under the digest it must have: hashed while it is written to a temp file (created
   * exclusively), renamed in only when the digest and the size cap hold. Idempotent: a digest already stored is kept,
   * the stream drained. Throws BlobRefused (nothing stored) for a wrong digest or a stream over `maxBytes`.
   */
  async addStream(stream: Readable, sha256: string, maxBytes: number): Promise<StoredArtifact & { created: boolean }> {
    const target = this.pathOf(sha256);
    await fs.promises.mkdir(this.dir, { recursive: true });
    const tmp = `${target}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    const hash = crypto.createHash('sha256');
    let size = 0;
    const out = await fs.promises.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) throw new BlobRefused('too-large', `the blob is over ${maxBytes} bytes`);
        hash.update(chunk);
        await out.write(chunk);
      }
      await out.sync();
    } catch (err) {
      await out.close();
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    await out.close();
    const actual = hash.digest('hex');
    if (actual !== sha256) {
      await fs.promises.rm(tmp, { force: true });
      throw new BlobRefused('digest', `the bytes sent have digest sha256:${actual}, not sha256:${sha256}`);
    }
    if (await this.keep(sha256)) {
      await fs.promises.rm(tmp, { force: true });
      return { sha256, size, path: target, created: false };
    }
    await fs.promises.chmod(tmp, 0o444);
    await fs.promises.rename(tmp, target);
    return { sha256, size, path: target, created: true };
  }

  async has(sha256: string): Promise<boolean> {
    return fs.existsSync(this.pathOf(sha256));
  }

  /**
   * Whether the digest is stored, marking it as used now if so: garbage collection keeps what was used since the
   * oldest running push started (activities/gc/collect.ts), so a blob found here is not collected under its user.
   */
  async keep(sha256: string): Promise<boolean> {
    const now = new Date();
    try {
      await fs.promises.utimes(this.pathOf(sha256), now, now);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}
