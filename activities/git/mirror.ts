import { ApplicationFailure } from '@temporalio/common';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { touch } from '../gc/disk-usage';

export interface TreeListing {
  /** directory path → git tree hash */
  trees: Map<string, string>;
  files: Set<string>;
  /** Every blob (file or symlink) by path: its mode (`100644`, `100755`, `120000`), object and size in bytes. */
  blobs: Map<string, { mode: string; object: string; size: number }>;
  /**
   * Paths listed more than once (a hand-made tree object; git itself never writes one): which entry an export ends
   * with is up to tar, so no check of the listing can vouch for it.
   */
  duplicates: Set<string>;
}

/** The sync running (or last queued) per mirror folder. */
const syncing = new Map<string, Promise<void>>();

/**
 * A bare mirror of a ports tree under the data dir: fetched on every plan, read at exact commits, never checked out.
 */
export class TreeMirror {
  constructor(readonly url: string, readonly dir: string) {}

  private git(): SimpleGit {
    return simpleGit({ baseDir: this.dir, timeout: { block: 300_000 } });
  }

  /**
   * Clone on first use, fetch afterwards (all branches, pruned): idempotent. One sync of a mirror at a time in this
   * process (the orchestrator owns the data dir): pushes of several branches plan at once, and two first clones into
   * one temporary folder, or a fetch racing a clone, left a mirror without the pushed commit (COMMIT_UNKNOWN).
   */
  async sync(): Promise<void> {
    const before = syncing.get(this.dir) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => this.syncNow());
    syncing.set(this.dir, mine);
    try {
      await mine;
    } finally {
      if (syncing.get(this.dir) === mine) syncing.delete(this.dir);
    }
  }

  private async syncNow(): Promise<void> {
    if (!fs.existsSync(path.join(this.dir, 'HEAD'))) {
      const tmp = `${this.dir}.${process.pid}.tmp`;
      await fs.promises.rm(tmp, { recursive: true, force: true });
      await fs.promises.mkdir(path.dirname(this.dir), { recursive: true });
      await simpleGit({ timeout: { block: 600_000 } }).clone(this.url, tmp, ['--mirror', '--quiet']);
      await fs.promises.rename(tmp, this.dir);
      return;
    }
    // From the configured URL itself, not the remote the clone recorded: a tree whose url changed is fetched from
    // the new one, without a `git remote set-url` process on every plan.
    await this.git().raw(['fetch', '--prune', '--quiet', this.url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
  }

  async branchHead(branch: string): Promise<string | undefined> {
    try {
      return (await this.git().raw(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async hasCommit(commit: string): Promise<boolean> {
    try {
      await this.git().raw(['cat-file', '-e', `${commit}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }

  /** Every directory at a commit with its git tree hash, and every file path with its mode and size (`-l`). */
  async list(commit: string): Promise<TreeListing> {
    const out = await this.git().raw(['ls-tree', '-r', '-t', '-l', '-z', '--full-tree', commit]);
    const trees = new Map<string, string>();
    const files = new Set<string>();
    const blobs: TreeListing['blobs'] = new Map();
    const duplicates = new Set<string>();
    for (const entry of out.split('\0')) {
      const match = /^(\d+) (tree|blob) ([0-9a-f]{40,64}) +(-|\d+)\t(.+)$/s.exec(entry);
      if (!match) continue;
      const [, mode, type, object, size, file] = match;
      if (trees.has(file) || blobs.has(file)) duplicates.add(file);
      if (type === 'tree') {
        trees.set(file, object);
      } else {
        files.add(file);
        blobs.set(file, { mode, object, size: Number(size) });
      }
    }
    return { trees, files, blobs, duplicates };
  }

  /** The contents of blobs by object ID, in one `git cat-file --batch`: callers pass only blobs whose size they checked (recipe files, symlink targets). */
  async readBlobs(objects: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (objects.length === 0) return found;
    const out = await new Promise<Buffer>((resolve, reject) => {
      const child = execFile('git', ['-C', this.dir, 'cat-file', '--batch'], { encoding: 'buffer', maxBuffer: 1 << 30 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)));
      child.stdin!.end(objects.map((o) => `${o}\n`).join(''));
    });
    let at = 0;
    while (at < out.length) {
      const eol = out.indexOf(0x0a, at);
      const header = out.subarray(at, eol).toString('latin1').split(' ');
      at = eol + 1;
      if (header[1] === 'missing' || header.length < 3) continue;
      const size = Number(header[2]);
      found.set(header[0], out.subarray(at, at + size).toString('utf8'));
      at += size + 1;
    }
    return found;
  }

  /** Export a package directory by tree hash: content-addressed, so exported once and shared by every push. */
  async exportTree(treeHash: string, target: string): Promise<void> {
    if (fs.existsSync(target)) {
      await touch(target); // reused by this push: garbage collection keeps exports used lately
      return;
    }
    const tmp = `${target}.${process.pid}.tmp`;
    await fs.promises.rm(tmp, { recursive: true, force: true });
    await fs.promises.mkdir(tmp, { recursive: true });
    await new Promise<void>((resolve, reject) => {
      const archive = execFile('git', ['-C', this.dir, 'archive', '--format=tar', treeHash], { encoding: 'buffer', maxBuffer: 1 << 30 });
      const tar = execFile('tar', ['-x', '--no-same-owner', '-C', tmp], (err) => (err ? reject(err) : resolve()));
      archive.stdout!.pipe(tar.stdin!);
      archive.once('error', reject);
    });
    // Planning refused recipes with escaping symlinks from the listing already; this is the check of what is really
    // on disk, before the host shares it with anything.
    const unsafe = await unsafeEntry(tmp);
    if (unsafe !== undefined) {
      await fs.promises.rm(tmp, { recursive: true, force: true });
      // Retrying exports the same tree again: permanent.
      throw ApplicationFailure.nonRetryable(`the export of tree ${treeHash} holds ${unsafe}: refused`, 'RECIPE_INVALID');
    }
    await fs.promises.rename(tmp, target).catch(async (err: NodeJS.ErrnoException) => {
      // Another plan exported the same tree first: same content, keep theirs.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await fs.promises.rm(tmp, { recursive: true, force: true });
    });
  }
}

/**
 * The first entry of an exported recipe that is neither a directory, a regular file, nor a symlink resolving inside
 * the recipe (followed by the kernel's rules: realpath), or undefined. Nothing is opened through a link.
 */
async function unsafeEntry(root: string): Promise<string | undefined> {
  const realRoot = await fs.promises.realpath(root);
  const dirs = [root];
  while (dirs.length > 0) {
    const dir = dirs.pop()!;
    for (const entry of await fs.promises.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const shown = path.relative(root, full);
      if (entry.isDirectory()) dirs.push(full);
      else if (entry.isSymbolicLink()) {
        const real = await fs.promises.realpath(full).catch(() => undefined);
        // Dangling: its target, as written, must still stay inside (the link may later be resolved elsewhere).
        const target = real ?? path.resolve(await fs.promises.realpath(dir), await fs.promises.readlink(full));
        if (target !== realRoot && !target.startsWith(realRoot + path.sep)) return `a symlink leaving it (${shown})`;
      } else if (!entry.isFile()) return `a special file (${shown})`;
    }
  }
  return undefined;
}
