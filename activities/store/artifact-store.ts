import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';

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
    if (!fs.existsSync(target)) {
      const tmp = `${target}.${process.pid}.tmp`;
      await fs.promises.copyFile(file, tmp);
      await fs.promises.chmod(tmp, 0o444);
      await fs.promises.rename(tmp, target);
    }
    return { sha256, size, path: target };
  }

  async has(sha256: string): Promise<boolean> {
    return fs.existsSync(this.pathOf(sha256));
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}
