import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Write a file so that readers see the old content or the new, never a torn one: temp file in the same directory
 * (created exclusively, never through a link), fsync, rename. Used for every record and index Kiln writes.
 * `mode` for secrets' state (0600); `syncDir` also makes the rename itself durable (the signer's state).
 */
export async function writeFileAtomic(file: string, data: string | Buffer, options: { mode?: number; syncDir?: boolean } = {}): Promise<void> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
  const handle = await fs.promises.open(tmp, flags, options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, file);
  if (options.syncDir) {
    const dirHandle = await fs.promises.open(dir, 'r');
    try { await dirHandle.sync(); } finally { await dirHandle.close(); }
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.promises.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
