import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';

export interface TreeListing {
  /** directory path → git tree hash */
  trees: Map<string, string>;
  files: Set<string>;
}

/**
 * A bare mirror of a ports tree under the data dir: fetched on every plan, read at exact commits, never checked out.
 */
export class TreeMirror {
  constructor(readonly url: string, readonly dir: string) {}

  private git(): SimpleGit {
    return simpleGit({ baseDir: this.dir, timeout: { block: 300_000 } });
  }

  /** Clone on first use, fetch afterwards (all branches, pruned): idempotent. */
  async sync(): Promise<void> {
    if (!fs.existsSync(path.join(this.dir, 'HEAD'))) {
      const tmp = `${this.dir}.${process.pid}.tmp`;
      await fs.promises.rm(tmp, { recursive: true, force: true });
      await fs.promises.mkdir(path.dirname(this.dir), { recursive: true });
      await simpleGit({ timeout: { block: 600_000 } }).clone(this.url, tmp, ['--mirror', '--quiet']);
      await fs.promises.rename(tmp, this.dir);
      return;
    }
    await this.git().raw(['remote', 'set-url', 'origin', this.url]);
    await this.git().raw(['fetch', '--prune', '--quiet', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
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

  /** Every directory at a commit with its git tree hash, and every file path. */
  async list(commit: string): Promise<TreeListing> {
    const out = await this.git().raw(['ls-tree', '-r', '-t', '-z', '--full-tree', commit]);
    const trees = new Map<string, string>();
    const files = new Set<string>();
    for (const entry of out.split('\0')) {
      const match = /^\d+ (tree|blob) ([0-9a-f]{40,64})\t(.+)$/s.exec(entry);
      if (!match) continue;
      if (match[1] === 'tree') trees.set(match[3], match[2]);
      else files.add(match[3]);
    }
    return { trees, files };
  }

  /** Read one file of a tree object (e.g. `<treeHash>:debian/control`), or undefined if absent. */
  async readFile(treeHash: string, file: string): Promise<string | undefined> {
    try {
      return await this.git().raw(['cat-file', 'blob', `${treeHash}:${file}`]);
    } catch {
      return undefined;
    }
  }

  /** Export a package directory by tree hash: content-addressed, so exported once and shared by every push. */
  async exportTree(treeHash: string, target: string): Promise<void> {
    if (fs.existsSync(target)) return;
    const tmp = `${target}.${process.pid}.tmp`;
    await fs.promises.rm(tmp, { recursive: true, force: true });
    await fs.promises.mkdir(tmp, { recursive: true });
    await new Promise<void>((resolve, reject) => {
      const archive = execFile('git', ['-C', this.dir, 'archive', '--format=tar', treeHash], { encoding: 'buffer', maxBuffer: 1 << 30 });
      const tar = execFile('tar', ['-x', '-C', tmp], (err) => (err ? reject(err) : resolve()));
      archive.stdout!.pipe(tar.stdin!);
      archive.once('error', reject);
    });
    await fs.promises.rename(tmp, target).catch(async (err: NodeJS.ErrnoException) => {
      // Another plan exported the same tree first: same content, keep theirs.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await fs.promises.rm(tmp, { recursive: true, force: true });
    });
  }
}
