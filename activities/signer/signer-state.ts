import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../domain/atomic-file';
import { KilnError } from '../../domain/errors';

// The signer's memory of what it signed: per tree and branch, the last snapshot number and the SHA-256 of its Release.
// It lives beside audit.log in the keys dir, is written atomically (temp file, fsync, rename, fsync of the dir) with
// mode 0600, and is read once at start: a state file that cannot be read stops the signer (SIGNER_STATE_INVALID)
// rather than letting it forget, which would let an older snapshot be signed again.

export const STATE_FILE = 'signer-state.json';

export interface SignedSnapshot {
  tree: string;
  branch: string;
  snapshot: number;
  suite: string;
  releaseSha256: string;
  at: string;
}

interface StateFile {
  version: 1;
  /** One entry per tree and branch (a list, not an object keyed by name: branch names may contain anything). */
  signed: SignedSnapshot[];
}

function invalid(file: string, why: string): KilnError {
  return new KilnError('SIGNER_STATE_INVALID', `${file}: ${why}; the signer will not start without knowing what it signed (restore the file, or fix it by hand)`);
}

function isEntry(e: unknown): e is SignedSnapshot {
  const x = e as SignedSnapshot;
  return typeof x === 'object' && x !== null && typeof x.tree === 'string' && typeof x.branch === 'string'
    && Number.isSafeInteger(x.snapshot) && x.snapshot > 0 && typeof x.suite === 'string'
    && typeof x.releaseSha256 === 'string' && /^[0-9a-f]{64}$/.test(x.releaseSha256) && typeof x.at === 'string';
}

export class SignerState {
  private constructor(readonly file: string, private readonly entries: SignedSnapshot[]) {}

  /** Read the state file (none yet: nothing signed). Refuses a symlink, a non-regular file and malformed content. */
  static load(keysDir: string): SignerState {
    const file = path.join(keysDir, STATE_FILE);
    let text: string;
    try {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        if (!fs.fstatSync(fd).isFile()) throw invalid(file, 'not a regular file');
        text = fs.readFileSync(fd, 'utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return new SignerState(file, []);
      if (code === 'ELOOP') throw invalid(file, 'is a symlink');
      if (err instanceof KilnError) throw err;
      throw invalid(file, `cannot be read (${(err as Error).message})`);
    }
    let parsed: StateFile;
    try {
      parsed = JSON.parse(text) as StateFile;
    } catch {
      throw invalid(file, 'is not JSON');
    }
    if (parsed?.version !== 1 || !Array.isArray(parsed.signed) || !parsed.signed.every(isEntry)) {
      throw invalid(file, 'is not a signer state file (version 1)');
    }
    const keys = new Set(parsed.signed.map((e) => JSON.stringify([e.tree, e.branch])));
    if (keys.size !== parsed.signed.length) throw invalid(file, 'names a tree and branch twice');
    return new SignerState(file, parsed.signed);
  }

  /** The last snapshot signed for a tree's branch. */
  last(tree: string, branch: string): SignedSnapshot | undefined {
    return this.entries.find((e) => e.tree === tree && e.branch === branch);
  }

  /** Record a signature; durable (on disk, fsynced) when the promise resolves. */
  async record(entry: SignedSnapshot): Promise<void> {
    const next = this.entries.filter((e) => !(e.tree === entry.tree && e.branch === entry.branch));
    next.push(entry);
    const state: StateFile = { version: 1, signed: next };
    await writeFileAtomic(this.file, JSON.stringify(state, null, 2) + '\n', { mode: 0o600, syncDir: true });
    this.entries.splice(0, this.entries.length, ...next);
  }
}

