import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { VIEW_PATH_PATTERN, type BlobRef, type WipViewManifest } from '../../domain/build-exchange';
import type { BlobClient } from './blob-client';

const exec = promisify(execFile);
const DIGEST = /^[0-9a-f]{64}$/;
/** A cache at its limit removes something on most fetches: those removals are logged at most this often. */
const EVICTION_LOG_MS = 60_000;
const MiB = 1048576;

/** One thing the limit counts: a fetched blob (`blob:<digest>`) or an unpacked recipe (`recipe:<digest>`). */
interface Entry {
  key: string;
  file: string;
  size: number;
  /** When it was last used, as a counter (ties in a millisecond still order). */
  used: number;
}

export interface WorkerCacheOptions {
  /** Where the cache's own lines go (what it removed, what running builds hold over the limit). */
  log?: (line: string) => void;
}

/** What the cache holds now (for logs, tests and metrics). */
export interface WorkerCacheStats {
  /** Blobs and unpacked recipes in the cache. */
  bytes: number;
  entries: number;
  /** Of `bytes`, what running builds and fetches hold (never removed while held). */
  pinnedBytes: number;
  /** Bytes being downloaded or unpacked (room is made for them before they arrive). */
  incomingBytes: number;
  maxBytes: number;
}

/**
 * A build worker's own disk: blobs fetched from Kiln (verified by digest on the way in), recipes unpacked once per
 * archive, and the work dirs of running builds. Views are hard links into the blobs, so the cache and the work dirs
 * share one filesystem (one folder).
 *
 * Blobs and recipes together are kept under `maxBytes`: before a download or an unpack (room for what comes) and after
 * it, what was used least recently goes, except what is held. A work dir made by `workDir()` holds what was fetched for
 * it (its view's blobs, its recipe) until `release()` is called for it or it is removed (`trim()` and every fetch
 * notice); an operation in flight holds what it works on. When what is held is over the limit by itself it is kept
 * (a running build is never broken; said once in the log) and nothing else is: unheld entries never stay over it.
 * One process owns the folder; in it, fetches and trims may run at once (trims take turns).
 */
export class WorkerCache {
  private readonly downloads = new Map<string, Promise<string>>();
  private readonly unpacking = new Map<string, Promise<string>>();
  private readonly entries = new Map<string, Entry>();
  /** Entries an operation in flight uses: key → how many. */
  private readonly busy = new Map<string, number>();
  /** Work dirs (absolute) of running builds and install tests → the entries each holds. */
  private readonly holders = new Map<string, Set<string>>();
  /** Entries being removed: a fetch of one waits for its removal before fetching it again. */
  private readonly removing = new Map<string, Promise<void>>();
  /** Temp files and folders of fetches in flight (a sweep leaves these alone). */
  private readonly temps = new Set<string>();
  private readonly log: (line: string) => void;
  private total = 0;
  private incoming = 0;
  private clock = 0;
  private trimQueue: Promise<void> = Promise.resolve();
  private overLimitSaid = false;
  private evicted = { count: 0, bytes: 0, loggedAt: 0 };

  constructor(readonly dir: string, private readonly client: BlobClient, private readonly maxBytes: number, options: WorkerCacheOptions = {}) {
    this.log = options.log ?? ((line) => console.log(`kiln build worker: ${line}`));
  }

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

  /**
   * Reads what a predecessor left: its complete blobs and recipes are kept (in the order of their last use), anything
   * else goes (work dirs, partial downloads and unpacks a crash tore, half-written answers); then the limit is applied,
   * which may have been lowered since.
   */
  async init(): Promise<void> {
    for (const dir of [this.blobs, this.recipes, this.work]) await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of await fs.promises.readdir(this.work)) await fs.promises.rm(path.join(this.work, name), { recursive: true, force: true });
    const found: Array<{ key: string; file: string; size: number; mtime: number }> = [];
    for (const name of await fs.promises.readdir(this.blobs)) {
      const file = path.join(this.blobs, name);
      const stat = await fs.promises.lstat(file).catch(() => undefined);
      if (DIGEST.test(name) && stat?.isFile()) found.push({ key: `blob:${name}`, file, size: stat.size, mtime: stat.mtimeMs });
      else await fs.promises.rm(file, { recursive: true, force: true });
    }
    for (const name of await fs.promises.readdir(this.recipes)) {
      const dir = path.join(this.recipes, name);
      const stat = await fs.promises.lstat(dir).catch(() => undefined);
      if (DIGEST.test(name) && stat?.isDirectory() && fs.existsSync(path.join(dir, '.kiln-complete'))) {
        found.push({ key: `recipe:${name}`, file: dir, size: await du(dir), mtime: stat.mtimeMs });
      } else {
        await fs.promises.rm(dir, { recursive: true, force: true });
      }
    }
    if (fs.existsSync(this.finishedDir)) {
      for (const name of await fs.promises.readdir(this.finishedDir)) {
        if (!name.endsWith('.json')) await fs.promises.rm(path.join(this.finishedDir, name), { recursive: true, force: true });
      }
    }
    this.entries.clear();
    this.total = 0;
    for (const f of found.sort((a, b) => a.mtime - b.mtime)) this.add(f.key, f.file, f.size);
    await this.trim();
  }

  /** A fresh, private work dir for one build or test; the caller removes it. What is fetched for it is held until then. */
  async workDir(name: string): Promise<string> {
    const dir = path.join(this.work, `${name}-${crypto.randomBytes(4).toString('hex')}`);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    this.holders.set(path.resolve(dir), new Set());
    return dir;
  }

  /**
   * The build or test of `workDir` has ended: what it held may go (least recently used first, when over the limit).
   * Safe to call at any time, more than once, for a dir the cache does not know, and before or after the dir is
   * removed; it never throws. Resolves once the cache is back under its limit (as far as what is held allows).
   */
  release(workDir: string): Promise<void> {
    this.holders.delete(path.resolve(workDir));
    return this.trim();
  }

  /**
   * The local path of a blob, downloaded (and verified) when not cached yet. `holder`: a work dir from `workDir()`
   * that keeps it cached until released (without one, nothing keeps it once this resolves).
   */
  blob(ref: BlobRef, signal?: AbortSignal, holder?: string): Promise<string> {
    const key = `blob:${ref.sha256}`;
    this.hold(key, holder);
    return this.whileBusy(key, () => this.fetchBlob(ref, signal));
  }

  /**
   * The recipe archive unpacked (once per digest) into a read-only folder. The archive is the orchestrator's (made
   * from the checked export of the recipe); it is still unpacked without owners and with GNU tar's refusal of
   * members that would land outside the folder. `holder`: the work dir of the build that mounts it, which keeps it
   * until released; without one, every build running now holds it (one of them asked for it), until each has ended.
   */
  recipe(ref: BlobRef, signal?: AbortSignal, holder?: string): Promise<string> {
    const key = `recipe:${ref.sha256}`;
    for (const dir of holder ? [holder] : [...this.holders.keys()]) this.hold(key, dir);
    return this.whileBusy(key, () => this.unpack(ref, signal));
  }

  /**
   * Build a WIP view in `target` from its manifest: every file fetched into the cache, then hard-linked in. A target
   * inside a work dir from `workDir()` holds the view's blobs (in the cache) until that work dir is released.
   */
  async view(manifestRef: BlobRef, target: string, signal?: AbortSignal): Promise<void> {
    const holder = this.holderOf(target);
    const manifestKey = `blob:${manifestRef.sha256}`;
    this.hold(manifestKey, holder);
    const manifest = await this.whileBusy(manifestKey, async () =>
      JSON.parse(await fs.promises.readFile(await this.fetchBlob(manifestRef, signal), 'utf8')) as WipViewManifest);
    if (!Array.isArray(manifest.files)) throw new Error('the WIP view manifest has no file list');
    await fs.promises.mkdir(target, { recursive: true });
    for (const file of manifest.files) {
      // The orchestrator wrote the manifest; still, no entry may name a place outside the view.
      if (typeof file.path !== 'string' || !VIEW_PATH_PATTERN.test(file.path)) throw new Error(`the WIP view manifest names an invalid path: ${JSON.stringify(file.path)}`);
      const key = `blob:${file.sha256}`;
      this.hold(key, holder);
      await this.whileBusy(key, async () => {
        const local = await this.fetchBlob(file, signal);
        const into = path.join(target, file.path);
        await fs.promises.mkdir(path.dirname(into), { recursive: true });
        await fs.promises.link(local, into);
      });
    }
  }

  /**
   * Bring the cache under its limit now: temp files no fetch owns are removed, work dirs that are gone release what
   * they held, and what was used least recently goes first. Fetches do this themselves; a build's end may call it too
   * (fire and forget is fine: it never throws). `log`: where this call's lines go (the cache's own log otherwise).
   */
  trim(log?: (line: string) => void): Promise<void> {
    return this.queueTrim(log ?? this.log, true);
  }

  stats(): WorkerCacheStats {
    let pinnedBytes = 0;
    for (const entry of this.entries.values()) if (this.isHeld(entry.key)) pinnedBytes += entry.size;
    return { bytes: this.total, entries: this.entries.size, pinnedBytes, incomingBytes: this.incoming, maxBytes: this.maxBytes };
  }

  private queueTrim(log: (line: string) => void, sweep: boolean): Promise<void> {
    const run = this.trimQueue.then(() => this.trimNow(log, sweep)).catch((err: unknown) => log(`worker cache: trimming failed: ${String(err)}`));
    this.trimQueue = run;
    return run;
  }

  private async trimNow(log: (line: string) => void, sweep: boolean): Promise<void> {
    // A build removes its work dir when it ends (build-package.ts, install-test.ts): what it held may go.
    const releaseGone = () => { for (const dir of [...this.holders.keys()]) if (!fs.existsSync(dir)) this.holders.delete(dir); };
    if (sweep) {
      await this.sweepTemps(log);
      releaseGone();
    }
    if (this.total + this.incoming <= this.maxBytes) {
      this.overLimitSaid = false;
      return;
    }
    if (!sweep) releaseGone();
    const unheld = [...this.entries.values()].filter((e) => !this.isHeld(e.key));
    for (const entry of unheld.sort((a, b) => a.used - b.used)) {
      if (this.total + this.incoming <= this.maxBytes) break;
      // Looked at again here: a fetch may have started to use it while the previous one was being removed.
      if (this.entries.get(entry.key) !== entry || this.isHeld(entry.key)) continue;
      await this.evict(entry, log);
    }
    this.logEvictions(log, false);
    if (this.total + this.incoming <= this.maxBytes) {
      this.overLimitSaid = false;
    } else if (!this.overLimitSaid) {
      this.overLimitSaid = true;
      this.logEvictions(log, true);
      const { pinnedBytes, entries } = this.stats();
      log(`worker cache over its limit of ${mib(this.maxBytes)} MiB (--cache-max-mb): running builds hold ${mib(pinnedBytes)} MiB`
        + `${this.incoming > 0 ? ` and ${mib(this.incoming)} MiB are being fetched` : ''} (${entries} entries cached, nothing else kept);`
        + ' kept while they run (a build is never broken for the limit), removed once they end; said once until the cache is under its limit again');
    }
  }

  private async evict(entry: Entry, log: (line: string) => void): Promise<void> {
    this.entries.delete(entry.key);
    this.total -= entry.size;
    const removal = (async () => {
      if (entry.key.startsWith('blob:')) {
        await fs.promises.rm(entry.file, { force: true });
        return;
      }
      // Out of the way in one step: a crash halfway through the removal leaves a temp folder (removed by the next
      // sweep or start), never a recipe with its completion mark and half its files.
      const doomed = `${entry.file}.${crypto.randomBytes(6).toString('hex')}.removing`;
      await fs.promises.rename(entry.file, doomed);
      await fs.promises.rm(doomed, { recursive: true, force: true }).catch((err: unknown) => log(`worker cache: cannot remove ${doomed} (${String(err)}); trying again at the next trim`));
    })();
    this.removing.set(entry.key, removal.catch(() => undefined));
    try {
      await removal;
      this.evicted.count++;
      this.evicted.bytes += entry.size;
    } catch (err) {
      // Still there: still counted (and tried again by a later trim).
      if (!this.entries.has(entry.key)) {
        this.entries.set(entry.key, entry);
        this.total += entry.size;
      }
      log(`worker cache: cannot remove ${entry.file} (${String(err)})`);
    } finally {
      this.removing.delete(entry.key);
    }
  }

  private logEvictions(log: (line: string) => void, now: boolean): void {
    if (this.evicted.count === 0 || (!now && Date.now() - this.evicted.loggedAt < EVICTION_LOG_MS)) return;
    log(`worker cache: removed ${this.evicted.count} least recently used entries (${mib(this.evicted.bytes)} MiB) to stay under ${mib(this.maxBytes)} MiB; ${mib(this.total)} MiB cached`);
    this.evicted = { count: 0, bytes: 0, loggedAt: Date.now() };
  }

  /** Temp files and folders no fetch in flight owns: what a fetch that died unexpectedly left. */
  private async sweepTemps(log: (line: string) => void): Promise<void> {
    for (const parent of [this.blobs, this.recipes]) {
      const names = await fs.promises.readdir(parent).catch(() => [] as string[]);
      for (const name of names) {
        const file = path.join(parent, name);
        if (DIGEST.test(name) || this.temps.has(file)) continue;
        await fs.promises.rm(file, { recursive: true, force: true }).catch((err: unknown) => log(`worker cache: cannot remove ${file} (${String(err)})`));
      }
    }
  }

  private fetchBlob(ref: BlobRef, signal?: AbortSignal): Promise<string> {
    const known = this.downloads.get(ref.sha256);
    if (known) return known;
    const key = `blob:${ref.sha256}`;
    const file = path.join(this.blobs, ref.sha256);
    const fetching = (async () => {
      await this.removing.get(key);
      const entry = this.entries.get(key);
      if (entry) {
        const stat = await fs.promises.lstat(file).catch(() => undefined);
        if (stat?.isFile() && stat.size === ref.size) {
          this.use(entry);
          await touch(file);
          return file;
        }
        this.forget(key);
      }
      const tmp = `${file}.${crypto.randomBytes(6).toString('hex')}.part`;
      this.temps.add(tmp);
      this.incoming += ref.size;
      try {
        await this.queueTrim(this.log, false);
        await this.client.download(ref, tmp, signal);
        await fs.promises.chmod(tmp, 0o444);
        await fs.promises.rename(tmp, file);
        this.add(key, file, ref.size);
      } catch (err) {
        await fs.promises.rm(tmp, { force: true });
        throw err;
      } finally {
        this.incoming -= ref.size;
        this.temps.delete(tmp);
      }
      await this.queueTrim(this.log, false);
      return file;
    })().finally(() => this.downloads.delete(ref.sha256));
    this.downloads.set(ref.sha256, fetching);
    return fetching;
  }

  private unpack(ref: BlobRef, signal?: AbortSignal): Promise<string> {
    const known = this.unpacking.get(ref.sha256);
    if (known) return known;
    const key = `recipe:${ref.sha256}`;
    const dir = path.join(this.recipes, ref.sha256);
    const unpacking = (async () => {
      await this.removing.get(key);
      const entry = this.entries.get(key);
      if (entry && fs.existsSync(path.join(dir, '.kiln-complete'))) {
        this.use(entry);
        await touch(dir);
        return path.join(dir, 'src');
      }
      // The archive is held until tar has read it.
      return this.whileBusy(`blob:${ref.sha256}`, async () => {
        const archive = await this.fetchBlob(ref, signal);
        const tmp = `${dir}.${crypto.randomBytes(6).toString('hex')}.part`;
        this.temps.add(tmp);
        // About what it unpacks to (the archive is an uncompressed tar).
        this.incoming += ref.size;
        try {
          await this.queueTrim(this.log, false);
          await fs.promises.mkdir(path.join(tmp, 'src'), { recursive: true, mode: 0o755 });
          await exec('tar', ['-x', '--no-same-owner', '--delay-directory-restore', '-C', path.join(tmp, 'src'), '-f', archive]);
          await fs.promises.writeFile(path.join(tmp, '.kiln-complete'), '');
          const size = await du(tmp);
          this.forget(key);
          await fs.promises.rm(dir, { recursive: true, force: true });
          await fs.promises.rename(tmp, dir);
          this.add(key, dir, size);
        } catch (err) {
          await fs.promises.rm(tmp, { recursive: true, force: true });
          throw err;
        } finally {
          this.incoming -= ref.size;
          this.temps.delete(tmp);
        }
        await this.queueTrim(this.log, false);
        return path.join(dir, 'src');
      });
    })().finally(() => this.unpacking.delete(ref.sha256));
    this.unpacking.set(ref.sha256, unpacking);
    return unpacking;
  }

  /** The work dir (from `workDir()`) a path lies in, if any. */
  private holderOf(target: string): string | undefined {
    const rel = path.relative(path.resolve(this.work), path.resolve(target));
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    return path.join(path.resolve(this.work), rel.split(path.sep)[0]);
  }

  private hold(key: string, holder: string | undefined): void {
    if (!holder) return;
    const dir = path.resolve(holder);
    let held = this.holders.get(dir);
    if (!held) this.holders.set(dir, held = new Set());
    held.add(key);
  }

  private isHeld(key: string): boolean {
    if ((this.busy.get(key) ?? 0) > 0) return true;
    for (const held of this.holders.values()) if (held.has(key)) return true;
    return false;
  }

  /** `key` counts as in use from now (synchronously: no trim can slip in) until what `work` returns settles. */
  private whileBusy<T>(key: string, work: () => Promise<T>): Promise<T> {
    this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
    const done = () => {
      const left = (this.busy.get(key) ?? 1) - 1;
      if (left > 0) this.busy.set(key, left);
      else this.busy.delete(key);
      // What nothing holds any more may not stay over the limit.
      if (left <= 0 && this.total + this.incoming > this.maxBytes && !this.isHeld(key)) void this.queueTrim(this.log, false);
    };
    let running: Promise<T>;
    try {
      running = work();
    } catch (err) {
      done();
      return Promise.reject(err);
    }
    return running.finally(done);
  }

  private add(key: string, file: string, size: number): void {
    this.forget(key);
    this.entries.set(key, { key, file, size, used: ++this.clock });
    this.total += size;
  }

  private forget(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.total -= old.size;
  }

  private use(entry: Entry): void {
    entry.used = ++this.clock;
  }
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(bytes < 10 * MiB ? 2 : 0);
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
