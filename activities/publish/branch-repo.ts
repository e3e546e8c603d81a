import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSourceArtifact } from '../../domain/build';
import { pathInside } from '../../domain/safe-path';
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../../domain/atomic-file';
import type { DataLayout } from '../../domain/data-layout';
import { KilnError } from '../../domain/errors';
import { releaseFile } from '../../domain/publish/apt-index';
import type { FormatId } from '../../domain/formats/format';
import { formatIO } from '../formats/registry';
import {
  parseSnapshotDirName, snapshotDirName, type SnapshotManifest, type SnapshotSource,
} from '../../domain/publish/snapshot-manifest';
import { hardLinkAll } from '../store/hard-link';

export const MANIFEST = 'kiln-manifest.json';
export const PUBLIC_KEYS = { openpgp: 'kiln-archive-keyring.gpg', minisign: 'minisign.pub', fingerprint: 'kiln-archive-key.fingerprint' } as const;

export interface Signatures {
  inRelease: string;
  releaseGpg: string;
  minisig: string;
  /** The OpenPGP key's fingerprint, published beside the keyring (pacman-key --lsign-key takes it). */
  openpgpFingerprint?: string;
  /** Binary detached OpenPGP signatures of the databases the Release lists (pacman), base64. */
  databaseSignatures?: Array<{ path: string; base64: string }>;
  publicKeys: { minisignPub: string; openpgpKeyringBase64: string };
}

export interface AssembleRequest {
  number: number;
  /** The tree's format (Debian when absent). */
  format?: FormatId;
  suite: string;
  arches: readonly string[];
  commit: string;
  publishedFor: string;
  rollbackOf?: number;
  /** What the snapshot holds, given the snapshot that is current now (its base). */
  sources(base: SnapshotManifest | undefined): Promise<SnapshotSource[]>;
}

/**
 * One branch's published repository on disk ("symlink repo"):
 *
 *   repos/<tree>/<branch>/snapshots/000007/   complete, signed, immutable
 *   repos/<tree>/<branch>/snapshots/.000008.staging/   being made; never served
 *   repos/<tree>/<branch>/current -> snapshots/000007   switched with one rename
 *
 *   repos/<tree>/<branch>/pool/   package files of every kept snapshot (apt); each snapshot's pool -> ../../pool
 *
 * Every step is idempotent on the snapshot number, so a publish retried after any crash makes exactly one snapshot.
 * Pool files are hard links into the artifact store: nothing is copied. A shared pool file is never changed or
 * replaced; garbage collection removes the ones no kept snapshot lists (activities/gc/collect.ts).
 */
export class BranchRepo {
  constructor(private readonly layout: DataLayout, readonly tree: string, readonly branch: string) {}

  get dir(): string { return this.layout.repo(this.tree, this.branch); }
  get snapshotsDir(): string { return path.join(this.dir, 'snapshots'); }
  /** What the format keeps between snapshots to make the next one faster (never served, safe to delete). */
  get cacheDir(): string { return path.join(this.dir, 'index-cache'); }
  snapshotDir(number: number): string { return path.join(this.snapshotsDir, snapshotDirName(number)); }
  private stagingDir(number: number): string { return path.join(this.snapshotsDir, `.${snapshotDirName(number)}.staging`); }

  /** The number `current` points at, or undefined before the first publish. */
  currentNumber(): number | undefined {
    try {
      return parseSnapshotDirName(path.basename(fs.readlinkSync(path.join(this.dir, 'current'))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Complete snapshots, oldest first. */
  snapshots(): number[] {
    if (!fs.existsSync(this.snapshotsDir)) return [];
    return fs.readdirSync(this.snapshotsDir).map(parseSnapshotDirName).filter((n): n is number => n !== undefined).sort((a, b) => a - b);
  }

  /** The highest number in use, complete or staging: the next publish takes the one after. */
  highestNumber(): number {
    if (!fs.existsSync(this.snapshotsDir)) return 0;
    const numbers = fs.readdirSync(this.snapshotsDir)
      .map((name) => parseSnapshotDirName(name.replace(/^\.(\d+)\.staging$/, '$1')))
      .filter((n): n is number => n !== undefined);
    return Math.max(0, ...numbers);
  }

  async manifest(number: number): Promise<SnapshotManifest> {
    const manifest = await readJsonIfExists<SnapshotManifest>(path.join(this.snapshotDir(number), MANIFEST));
    if (!manifest) {
      const kept = this.snapshots();
      throw new KilnError('SNAPSHOT_UNKNOWN', `${this.tree}/${this.branch} has no snapshot ${number} (kept: ${kept.join(', ') || 'none'})`);
    }
    return manifest;
  }

  async currentManifest(): Promise<SnapshotManifest | undefined> {
    const n = this.currentNumber();
    return n === undefined ? undefined : this.manifest(n);
  }

  /** Build the unsigned snapshot in its staging dir; returns the Release text to sign. */
  async assemble(request: AssembleRequest): Promise<{ release: string; base?: number; databases?: Array<{ path: string; base64: string }> }> {
    const final = this.snapshotDir(request.number);
    if (fs.existsSync(final)) {
      const done = await this.manifest(request.number);
      const releaseDir = formatIO(done.format).snapshotIndex.releaseDir(done.suite);
      return { release: await fs.promises.readFile(pathInside(final, releaseDir, 'Release'), 'utf8'), base: done.base, databases: await this.databases(final, releaseDir, done.databases) };
    }
    const staging = this.stagingDir(request.number);
    await fs.promises.rm(staging, { recursive: true, force: true });
    await fs.promises.mkdir(staging, { recursive: true });
    const baseNumber = this.currentNumber();
    const base = baseNumber === undefined ? undefined : await this.manifest(baseNumber);
    const sources = await request.sources(base);

    const artifacts = sources.flatMap((source) => source.artifacts);
    const indexer = formatIO(request.format).snapshotIndex;
    if (indexer.sharedPool) {
      await this.linkSharedPool(staging, indexer.sharedPool, artifacts, base);
    } else {
      const byStored = new Map(artifacts.map((a) => [path.join(this.layout.store, a.sha256), a]));
      await hardLinkAll(
        artifacts.map((a) => ({ source: path.join(this.layout.store, a.sha256), target: pathInside(staging, a.pool) })),
        (stored) => missingArtifact(byStored.get(stored)!),
      );
    }

    const { releaseDir, files, databases } = await indexer.write({
      staging, tree: this.tree, suite: request.suite, arches: request.arches, sources,
      base: base && { dir: this.snapshotDir(base.number), manifest: base }, cacheDir: this.cacheDir,
    });
    const release = releaseFile({
      tree: this.tree, branch: this.branch, suite: request.suite, arches: request.arches, snapshot: request.number,
      commit: request.commit, date: new Date(), files,
    });
    await writeFileAtomic(pathInside(staging, releaseDir, 'Release'), release);
    const manifest: SnapshotManifest = {
      tree: this.tree, branch: this.branch, ...(request.format ? { format: request.format } : {}), suite: request.suite, number: request.number, commit: request.commit,
      publishedFor: request.publishedFor, base: base?.number, rollbackOf: request.rollbackOf, createdAt: new Date().toISOString(),
      sources, indexes: files, ...(databases ? { databases } : {}),
    };
    await writeJsonAtomic(path.join(staging, MANIFEST), manifest);
    return { release, base: base?.number, databases: await this.databases(staging, releaseDir, databases) };
  }

  /**
   * The snapshot's package files in the branch's shared pool (`<branch>/<folder>`, the staging snapshot's `<folder>`
   * a relative link to it): only what the base snapshot does not list with the same content is linked, so a publish
   * of one change into 50,000 packages links one file, not 50,000 (each link needed its folder made: most of the
   * publish's time). A file of the same name but other content already there (a package rebuilt at an unchanged
   * version while a kept snapshot still lists the old one) is never replaced: this snapshot's copy goes to a folder
   * named by its digest beside it, and the index and manifest name that path.
   */
  private async linkSharedPool(staging: string, folder: string, artifacts: SnapshotSource['artifacts'], base: SnapshotManifest | undefined): Promise<void> {
    const root = path.join(this.dir, folder);
    fs.mkdirSync(root, { recursive: true });
    await fs.promises.symlink(path.join('..', '..', folder), path.join(staging, folder));
    const inBase = new Map<string, string>();
    if (base && isLink(path.join(this.snapshotDir(base.number), folder))) {
      for (const s of base.sources) for (const a of s.artifacts) inBase.set(a.pool, a.sha256);
    }
    const made = new Set<string>();
    let n = 0;
    // A source package's files must share one folder (Sources names one Directory for them): if one of them cannot
    // go to its place, all of them go aside, into a folder named by the .dsc's digest.
    const sourceFiles = new Map<string, Array<SnapshotSource['artifacts'][number]>>();
    for (const a of artifacts) if (isSourceArtifact(a)) sourceFiles.set(a.package, [...(sourceFiles.get(a.package) ?? []), a]);
    for (const group of sourceFiles.values()) {
      const fresh = group.filter((a) => inBase.get(a.pool) !== a.sha256);
      if (fresh.length === 0) continue;
      for (const a of group) {
        if (!a.pool.startsWith(`${folder}/`)) throw new KilnError('SNAPSHOT_CONFLICT', `${a.pool} is not inside the branch's ${folder}/`);
      }
      if (fresh.every((a) => linkPoolFile(root, a.pool.slice(folder.length + 1), a, this.layout.store, made))) continue;
      const dsc = group.find((a) => a.file.endsWith('.dsc')) ?? group[0];
      for (const a of group) {
        const aside = `${path.posix.dirname(a.pool)}/${dsc.sha256.slice(0, 16)}/${a.file}`;
        if (!linkPoolFile(root, aside.slice(folder.length + 1), a, this.layout.store, made)) {
          throw new KilnError('SNAPSHOT_CONFLICT', `${aside} holds another file than ${a.file} (${a.sha256})`);
        }
        a.pool = aside;
      }
    }
    for (const a of artifacts) {
      if (isSourceArtifact(a) || inBase.get(a.pool) === a.sha256) continue;
      if (!a.pool.startsWith(`${folder}/`)) throw new KilnError('SNAPSHOT_CONFLICT', `${a.pool} is not inside the branch's ${folder}/`);
      if (!linkPoolFile(root, a.pool.slice(folder.length + 1), a, this.layout.store, made)) {
        const aside = `${path.posix.dirname(a.pool)}/${a.sha256.slice(0, 16)}/${a.file}`;
        if (!linkPoolFile(root, aside.slice(folder.length + 1), a, this.layout.store, made)) {
          throw new KilnError('SNAPSHOT_CONFLICT', `${aside} holds another file than ${a.file} (${a.sha256})`);
        }
        a.pool = aside;
      }
      if (++n % 2_000 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  /** The bytes of the databases the signer signs detached, from a staged or complete snapshot. */
  private async databases(dir: string, releaseDir: string, paths: readonly string[] | undefined): Promise<Array<{ path: string; base64: string }> | undefined> {
    if (!paths) return undefined;
    return Promise.all(paths.map(async (p) => ({ path: p, base64: (await fs.promises.readFile(pathInside(dir, releaseDir, p))).toString('base64') })));
  }

  /** Add the signer's answer and the public keys, then make the snapshot complete (one rename). */
  async complete(number: number, suite: string, releaseSha256: string, signatures: Signatures, format?: FormatId): Promise<void> {
    const final = this.snapshotDir(number);
    if (fs.existsSync(final)) return;
    const staging = this.stagingDir(number);
    // The format's own folder name (`dists/<suite>`, `.`), not a build's: joined, then every file checked inside it.
    const dir = path.join(staging, formatIO(format).snapshotIndex.releaseDir(suite));
    const release = await fs.promises.readFile(path.join(dir, 'Release')).catch(() => undefined);
    if (!release || sha256(release) !== releaseSha256) {
      // The staging dir is not the one that was signed (remade since): assemble again.
      throw new KilnError('SNAPSHOT_STAGING_CHANGED', `snapshot ${number} of ${this.tree}/${this.branch}: the staged Release is not the one that was signed`);
    }
    await writeFileAtomic(path.join(dir, 'InRelease'), signatures.inRelease);
    await writeFileAtomic(path.join(dir, 'Release.gpg'), signatures.releaseGpg);
    await writeFileAtomic(path.join(dir, 'Release.minisig'), signatures.minisig);
    // Detached signatures of index files the format's clients check themselves (pacman's databases).
    for (const signature of signatures.databaseSignatures ?? []) {
      await writeFileAtomic(pathInside(dir, `${signature.path}.sig`), Buffer.from(signature.base64, 'base64'));
    }
    await writeFileAtomic(path.join(staging, PUBLIC_KEYS.openpgp), Buffer.from(signatures.publicKeys.openpgpKeyringBase64, 'base64'));
    await writeFileAtomic(path.join(staging, PUBLIC_KEYS.minisign), signatures.publicKeys.minisignPub);
    if (signatures.openpgpFingerprint && /^[0-9A-F]{40}$/.test(signatures.openpgpFingerprint)) {
      await writeFileAtomic(path.join(staging, PUBLIC_KEYS.fingerprint), `${signatures.openpgpFingerprint}\n`);
    }
    await fs.promises.rename(staging, final);
    await fsyncDir(this.snapshotsDir);
  }

  /** Point `current` at a complete snapshot: a new symlink renamed over the old one, so readers see one or the other. */
  async switchTo(number: number): Promise<void> {
    if (!fs.existsSync(path.join(this.snapshotDir(number), MANIFEST))) {
      throw new KilnError('SNAPSHOT_UNKNOWN', `${this.tree}/${this.branch} has no complete snapshot ${number}`);
    }
    if (this.currentNumber() === number) return;
    const tmp = path.join(this.dir, `.current.${number}.${process.pid}.tmp`);
    await fs.promises.rm(tmp, { force: true });
    await fs.promises.symlink(path.join('snapshots', snapshotDirName(number)), tmp);
    await fs.promises.rename(tmp, path.join(this.dir, 'current'));
    await fsyncDir(this.dir);
  }

  /**
   * Keep the newest `keep` snapshots and the current one; remove leftovers of interrupted publishes before it. A
   * removed snapshot is renamed aside first (one rename: gone for readers and listings at once) and deleted after the
   * call returns: deleting tens of thousands of pool links took longer than the whole rest of a publish. Folders
   * renamed aside by a process that died before deleting them go with the next prune.
   */
  async prune(keep: number): Promise<number[]> {
    const current = this.currentNumber();
    const all = this.snapshots();
    const removed = all.slice(0, Math.max(0, all.length - keep)).filter((n) => n !== current);
    for (const n of removed) {
      await fs.promises.rename(this.snapshotDir(n), path.join(this.snapshotsDir, `.${snapshotDirName(n)}.removed`));
    }
    const aside: string[] = [];
    for (const name of fs.existsSync(this.snapshotsDir) ? fs.readdirSync(this.snapshotsDir) : []) {
      const staged = /^\.(\d+)\.staging$/.exec(name);
      if (staged && current !== undefined && Number(staged[1]) <= current) aside.push(name);
      if (/^\.\d+\.removed$/.test(name)) aside.push(name);
    }
    if (removed.length) await fsyncDir(this.snapshotsDir);
    if (aside.length) void removeAll(aside.map((name) => path.join(this.snapshotsDir, name)));
    return removed;
  }
}

/** Delete folders in the background; one that fails (or a crash meanwhile) is retried by the next prune. */
async function removeAll(dirs: string[]): Promise<void> {
  for (const dir of dirs) await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

function missingArtifact(a: SnapshotSource['artifacts'][number]): KilnError {
  return new KilnError('SNAPSHOT_ARTIFACT_MISSING', `${a.file} (${a.sha256}) is not in the artifact store`);
}

function isLink(file: string): boolean {
  try { return fs.lstatSync(file).isSymbolicLink(); } catch { return false; }
}

/**
 * Link a stored artifact at `rel` below the shared pool; true when that path now holds its content (made now, or
 * there already: the same inode, or after a copy across file systems the same bytes), false when it holds other bytes.
 */
function linkPoolFile(root: string, rel: string, a: SnapshotSource['artifacts'][number], store: string, made: Set<string>): boolean {
  const target = pathInside(root, rel);
  const stored = path.join(store, a.sha256);
  const dir = path.dirname(target);
  if (!made.has(dir)) { fs.mkdirSync(dir, { recursive: true }); made.add(dir); }
  try {
    fs.linkSync(stored, target);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !fs.existsSync(stored)) throw missingArtifact(a);
    if (code === 'EXDEV') {
      try { fs.copyFileSync(stored, target, fs.constants.COPYFILE_EXCL); return true; } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
    } else if (code !== 'EEXIST') {
      throw err;
    }
  }
  const there = fs.lstatSync(target);
  if (!there.isFile()) return false;
  const ours = fs.statSync(stored);
  if (there.dev === ours.dev && there.ino === ours.ino) return true;
  return there.size === ours.size && sha256(fs.readFileSync(target)) === a.sha256;
}

export function sha256(data: Buffer | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}


async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try { await handle.sync(); } finally { await handle.close(); }
}
