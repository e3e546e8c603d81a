import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { VIEW_PATH_PATTERN, type BlobRef, type WipViewManifest } from '../../domain/build-exchange';
import type { BlobClient } from './blob-client';

const exec = promisify(execFile);
const RECENT_MS = 10 * 60_000;

/**
 * A build worker's own disk: blobs fetched from Kiln (verified by digest on the way in), recipes unpacked once per
 * archive, and the work dirs of running builds. Views are hard links into the blobs, so the cache and the work dirs
 * share one filesystem (one folder). Kept under `maxBytes` by removing what was used least recently; nothing a
 * running build holds is removed (a build's view holds its own links, which keep the data).
 */
export class WorkerCache {
  private readonly downloads = new Map<string, Promise<string>>();
  private readonly unpacking = new Map<string, Promise<string>>();

  constructor(readonly dir: string, private readonly client: BlobClient, private readonly maxBytes: number) {}

  private get blobs(): string { return path.join(this.dir, 'blobs'); }
  private get recipes(): string { return path.join(this.dir, 'recipes'); }
  get work(): string { return path.join(this.dir, 'work'); }
  private get finishedDir(): string { return path.join(this.dir, 'finished'); }

  /**
   * What this worker handed back for a key it built (kept a while): when Temporal lost the completion (its server
   * was down past the heartbeat timeout), the retried activity answers it again instead of building twice.
   */
  async finished<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await fs.promises.readFile(path.join(this.finishedDir, `${key}.json`), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  async rememberFinished(key: string, result: unknown): Promise<void> {
    await fs.promises.mkdir(this.finishedDir, { recursive: true, mode: 0o700 });
    const file = path.join(this.finishedDir, `${key}.json`);
    await fs.promises.writeFile(`${file}.tmp`, JSON.stringify(result));
    await fs.promises.rename(`${file}.tmp`, file);
    // A few hundred answers are plenty: the oldest go.
    const names = (await fs.promises.readdir(this.finishedDir)).filter((n) => n.endsWith('.json'));
    if (names.length > 500) {
      const dated = await Promise.all(names.map(async (n) => ({ n, t: (await fs.promises.stat(path.join(this.finishedDir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
      for (const { n } of dated.sort((a, b) => a.t - b.t).slice(0, names.length - 500)) await fs.promises.rm(path.join(this.finishedDir, n), { force: true });
    }
  }

  async init(): Promise<void> {
    for (const dir of [this.blobs, this.recipes, this.work]) await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    // Work dirs and partial downloads of a dead predecessor: nothing in them is needed again.
    for (const name of await fs.promises.readdir(this.work)) await fs.promises.rm(path.join(this.work, name), { recursive: true, force: true });
    for (const name of await fs.promises.readdir(this.blobs)) if (name.includes('.')) await fs.promises.rm(path.join(this.blobs, name), { force: true });
  }

  /** A fresh, private work dir for one build or test; the caller removes it. */
  async workDir(name: string): Promise<string> {
    const dir = path.join(this.work, `${name}-${crypto.randomBytes(4).toString('hex')}`);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** The local path of a blob, downloaded (and verified) when not cached yet. */
  blob(ref: BlobRef, signal?: AbortSignal): Promise<string> {
    const known = this.downloads.get(ref.sha256);
    if (known) return known;
    const file = path.join(this.blobs, ref.sha256);
    const fetching = (async () => {
      try {
        const stat = await fs.promises.lstat(file);
        if (stat.isFile() && stat.size === ref.size) {
          await touch(file);
          return file;
        }
        await fs.promises.rm(file, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const tmp = `${file}.${crypto.randomBytes(6).toString('hex')}.part`;
      await this.client.download(ref, tmp, signal);
      await fs.promises.chmod(tmp, 0o444);
      await fs.promises.rename(tmp, file);
      return file;
    })().finally(() => this.downloads.delete(ref.sha256));
    this.downloads.set(ref.sha256, fetching);
    return fetching;
  }

  /**
   * The recipe archive unpacked (once per digest) into a read-only folder. The archive is the orchestrator's (made
   * from the checked export of the recipe); it is still unpacked without owners and with GNU tar's refusal of
   * members that would land outside the folder.
   */
  recipe(ref: BlobRef, signal?: AbortSignal): Promise<string> {
    const known = this.unpacking.get(ref.sha256);
    if (known) return known;
    const dir = path.join(this.recipes, ref.sha256);
    const unpack = (async () => {
      if (fs.existsSync(path.join(dir, '.kiln-complete'))) {
        await touch(dir);
        return path.join(dir, 'src');
      }
      const archive = await this.blob(ref, signal);
      const tmp = `${dir}.${crypto.randomBytes(6).toString('hex')}.part`;
      await fs.promises.mkdir(path.join(tmp, 'src'), { recursive: true, mode: 0o755 });
      try {
        await exec('tar', ['-x', '--no-same-owner', '--delay-directory-restore', '-C', path.join(tmp, 'src'), '-f', archive]);
        await fs.promises.writeFile(path.join(tmp, '.kiln-complete'), '');
        await fs.promises.rm(dir, { recursive: true, force: true });
        await fs.promises.rename(tmp, dir);
      } catch (err) {
        await fs.promises.rm(tmp, { recursive: true, force: true });
        throw err;
      }
      return path.join(dir, 'src');
    })().finally(() => this.unpacking.delete(ref.sha256));
    this.unpacking.set(ref.sha256, unpack);
    return unpack;
  }

  /** Build a WIP view in `target` from its manifest: every file fetched into the cache, then hard-linked in. */
  async view(manifestRef: BlobRef, target: string, signal?: AbortSignal): Promise<void> {
    const manifest = JSON.parse(await fs.promises.readFile(await this.blob(manifestRef, signal), 'utf8')) as WipViewManifest;
    if (!Array.isArray(manifest.files)) throw new Error('the WIP view manifest has no file list');
    await fs.promises.mkdir(target, { recursive: true });
    for (const file of manifest.files) {
      // The orchestrator wrote the manifest; still, no entry may name a place outside the view.
      if (typeof file.path !== 'string' || !VIEW_PATH_PATTERN.test(file.path)) throw new Error(`the WIP view manifest names an invalid path: ${JSON.stringify(file.path)}`);
      const local = await this.blob(file, signal);
      const into = path.join(target, file.path);
      await fs.promises.mkdir(path.dirname(into), { recursive: true });
      await fs.promises.link(local, into);
    }
  }

  /** Remove what was used least recently until the cache is under its limit. */
  async trim(log: (line: string) => void = () => undefined): Promise<void> {
    const entries: Array<{ file: string; size: number; used: number }> = [];
    for (const name of await fs.promises.readdir(this.blobs)) {
      if (name.includes('.')) continue;
      const stat = await fs.promises.stat(path.join(this.blobs, name)).catch(() => undefined);
      if (stat) entries.push({ file: path.join(this.blobs, name), size: stat.size, used: stat.mtimeMs });
    }
    for (const name of await fs.promises.readdir(this.recipes)) {
      if (name.includes('.')) continue;
      const dir = path.join(this.recipes, name);
      const stat = await fs.promises.stat(dir).catch(() => undefined);
      if (stat) entries.push({ file: dir, size: await du(dir), used: stat.mtimeMs });
    }
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    if (total <= this.maxBytes) return;
    entries.sort((a, b) => a.used - b.used);
    let removed = 0;
    // Not what a build that is starting now just fetched (it links it into its view next).
    const recent = Date.now() - RECENT_MS;
    for (const entry of entries) {
      if (total <= this.maxBytes * 0.8 || entry.used > recent) break;
      await fs.promises.rm(entry.file, { recursive: true, force: true });
      total -= entry.size;
      removed++;
    }
    log(`worker cache over its limit: removed ${removed} least recently used entries, ${Math.round(total / 1048576)} MiB kept`);
  }
}

async function touch(file: string): Promise<void> {
  const now = new Date();
  await fs.promises.utimes(file, now, now).catch(() => undefined);
}

async function du(dir: string): Promise<number> {
  let size = 0;
  for (const entry of await fs.promises.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const stat = await fs.promises.lstat(path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)).catch(() => undefined);
    size += stat?.size ?? 0;
  }
  return size;
}
