import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSourceArtifact } from '../../domain/build';
import { pathInside } from '../../domain/safe-path';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import { readJsonIfExists, writeJsonAtomic } from '../../domain/atomic-file';
import { laneOf } from '../../domain/formats/format';
import { formatOf } from '../../domain/formats/registry';
import type { BuildRecord } from '../builder/build-package';
import { formatIO } from '../formats/registry';
import type { LanePackage } from '../formats/format-io';
import { KeyLock } from '../builder/key-lock';
import { hardLink } from '../store/hard-link';
import type { WipKey } from './wip-key';

/**
 * A push's WIP repository: one flat repository per lane (`<arch>` and the arch-independent one: Debian's `all`,
 * pacman's `any`), each built package linked in as soon as it is built and indexed by the tree's format from the
 * entries computed at build time (Debian's is signed with the WIP key). Build containers of the same push mount
 * their arch's lane and the arch-independent one, so dependents build against what the push built.
 */
export class WipRepo {
  constructor(private readonly layout: DataLayout, private readonly key: WipKey, private readonly push: PushRef) {}

  private get dir(): string { return this.layout.wip(this.push); }
  private manifest(lane: string): string { return path.join(this.dir, lane, 'kiln-manifest.json'); }

  /** Add the results of these builds. Idempotent; one update at a time per WIP repository (lock file). */
  async add(keys: string[]): Promise<{ lanes: string[] }> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const lock = await acquire(path.join(this.dir, '.lock'));
    try {
      await this.key.ensure();
      await fs.promises.copyFile(this.key.publicKeyring, path.join(this.dir, 'wip.gpg'));
      const touched = new Map<string, Set<string>>();
      for (const key of keys) {
        const record = await readJsonIfExists<BuildRecord>(this.layout.buildRecord(key));
        if (!record) throw new Error(`build ${key} has no record: it was not built`);
        const format = formatOf(record.spec.format);
        for (const artifact of record.artifacts) {
          // Source packages are for people and deb-src, not for the builds that install from WIP lanes.
          if (isSourceArtifact(artifact)) continue;
          const lane = laneOf(format, artifact.architecture);
          await hardLink(path.join(this.layout.store, artifact.sha256), pathInside(this.dir, lane, artifact.file));
          const keysOfLane = touched.get(lane) ?? new Set((await readJsonIfExists<string[]>(this.manifest(lane))) ?? []);
          keysOfLane.add(key);
          touched.set(lane, keysOfLane);
        }
      }
      for (const [lane, laneKeys] of touched) await this.index(lane, [...laneKeys].sort());
      return { lanes: [...touched.keys()].sort() };
    } finally {
      await lock.release();
    }
  }

  private async index(lane: string, keys: string[]): Promise<void> {
    const laneDir = pathInside(this.dir, lane);
    const packages: LanePackage[] = [];
    let formatId: BuildRecord['spec']['format'];
    for (const key of keys) {
      const record = (await readJsonIfExists<BuildRecord>(this.layout.buildRecord(key)))!;
      formatId = record.spec.format;
      for (const a of record.artifacts) {
        if (isSourceArtifact(a) || laneOf(formatOf(formatId), a.architecture) !== lane) continue;
        packages.push({ file: a.file, package: a.package, version: a.version, stanza: a.stanza, ...(a.contents !== undefined ? { contents: a.contents } : {}) });
      }
    }
    await formatIO(formatId).writeWipIndex(laneDir, packages, {
      lane,
      label: `Kiln WIP ${this.push.tree}/${this.push.branch}@${this.push.commit.slice(0, 12)} ${lane}`,
      clearsign: (text) => this.key.clearsign(text),
    });
    await writeJsonAtomic(this.manifest(lane), keys);
  }
}

/**
 * Copy (hardlink) the current state of some lanes of a push's WIP repository into `target`, under the WIP lock: a
 * build mounts this snapshot, so an update landing while apt reads cannot give it a Packages/InRelease mismatch.
 * Returns false when the push has no WIP repository yet.
 */
export async function snapshotWip(layout: DataLayout, push: PushRef, lanes: string[], target: string): Promise<boolean> {
  const dir = layout.wip(push);
  if (!fs.existsSync(path.join(dir, 'wip.gpg'))) return false;
  const lock = await acquire(path.join(dir, '.lock'));
  try {
    await fs.promises.mkdir(target, { recursive: true });
    await fs.promises.copyFile(path.join(dir, 'wip.gpg'), path.join(target, 'wip.gpg'));
    for (const lane of lanes) {
      const laneDir = path.join(dir, lane);
      // The manifest is written after the lane's index: a lane without it was never completely indexed.
      if (!fs.existsSync(path.join(laneDir, 'kiln-manifest.json'))) continue;
      for (const name of await fs.promises.readdir(laneDir)) {
        if (name.startsWith('.') || name === 'kiln-manifest.json') continue;
        await hardLink(path.join(laneDir, name), path.join(target, lane, name));
      }
    }
    return true;
  } finally {
    await lock.release();
  }
}


/** Run `work` holding the WIP repository's lock (one writer at a time; builds snapshot it under the same lock). */
export async function withWipLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = await acquire(path.join(dir, '.lock'));
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

async function acquire(file: string): Promise<KeyLock> {
  for (;;) {
    const lock = await KeyLock.tryAcquire(file);
    if (lock) return lock;
    await new Promise((r) => setTimeout(r, 100));
  }
}
