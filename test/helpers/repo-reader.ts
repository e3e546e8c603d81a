import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// A reader that polls a served repository the way apt reads it (InRelease, then the indexes it names, by hash) and
// checks every state it sees: signed by the given key, and every index matching the hash the signed Release names.

export interface ReaderObservation {
  at: number;
  /** `Description` of the Release seen (names the snapshot), or undefined when nothing is published yet. */
  release?: string;
  problem?: string;
}

export class RepoReader {
  readonly seen: ReaderObservation[] = [];
  private stopped = false;
  private loop?: Promise<void>;
  private readonly keyringFile: string;

  constructor(private readonly repoUrl: string, private readonly suite: string, keyring: Buffer, private readonly arches: string[]) {
    this.keyringFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-reader-')), 'keyring.gpg');
    fs.writeFileSync(this.keyringFile, keyring);
  }

  start(intervalMs = 150): void {
    this.loop = (async () => {
      while (!this.stopped) {
        this.seen.push(await this.readOnce());
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    fs.rmSync(path.dirname(this.keyringFile), { recursive: true, force: true });
  }

  problems(): ReaderObservation[] { return this.seen.filter((o) => o.problem); }
  releases(): string[] { return [...new Set(this.seen.map((o) => o.release).filter((r): r is string => !!r))]; }

  async readOnce(): Promise<ReaderObservation> {
    const at = Date.now();
    try {
      const res = await fetch(`${this.repoUrl}/dists/${this.suite}/InRelease`);
      if (res.status === 404) return { at };
      if (res.status !== 200) return { at, problem: `InRelease: HTTP ${res.status}` };
      const inRelease = Buffer.from(await res.arrayBuffer());
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-read-'));
      let release: string;
      try {
        fs.writeFileSync(path.join(dir, 'InRelease'), inRelease);
        // gpgv checks the signature and writes the signed text: only what the signature covers is trusted below.
        execFileSync('gpgv', ['--keyring', this.keyringFile, '--output', path.join(dir, 'Release'), path.join(dir, 'InRelease')], { stdio: 'pipe' });
        release = fs.readFileSync(path.join(dir, 'Release'), 'utf8');
      } catch (err) {
        return { at, problem: `InRelease does not verify: ${(err as { stderr?: Buffer }).stderr?.toString() ?? String(err)}` };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const description = /^Description: (.*)$/m.exec(release)?.[1] ?? '(no description)';
      const hashes = new Map([...release.matchAll(/^ ([0-9a-f]{64})\s+(\d+) (\S+)$/gm)].map((m) => [m[3], { sha256: m[1], size: Number(m[2]) }]));
      for (const arch of this.arches) {
        const rel = `main/binary-${arch}/Packages.xz`;
        const want = hashes.get(rel);
        if (!want) return { at, release: description, problem: `Release does not list ${rel}` };
        const index = await fetch(`${this.repoUrl}/dists/${this.suite}/main/binary-${arch}/by-hash/SHA256/${want.sha256}`);
        if (index.status !== 200) return { at, release: description, problem: `${rel} by hash: HTTP ${index.status}` };
        const body = Buffer.from(await index.arrayBuffer());
        if (crypto.createHash('sha256').update(body).digest('hex') !== want.sha256) return { at, release: description, problem: `${rel}: hash mismatch` };
      }
      return { at, release: description };
    } catch (err) {
      return { at, problem: `request failed: ${String(err)}` };
    }
  }
}
