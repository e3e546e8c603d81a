import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathInside } from '../../domain/safe-path';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../../domain/atomic-file';
import type { BuildRecord } from '../builder/build-package';
import { KeyLock } from '../builder/key-lock';
import { hardLink } from '../store/hard-link';
import type { WipKey } from './wip-key';

/**
 * A push's WIP repository: one flat APT repository per lane (`<arch>` and `all`), each built package linked in as
 * soon as it is built, indexed from the entries computed at build time, and signed with the WIP key. Build
 * containers of the same push mount their arch's lane and `all`, so dependents build against what the push built.
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
        for (const artifact of record.artifacts) {
          const lane = artifact.architecture === 'all' ? 'all' : artifact.architecture;
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
    const stanzas: Array<{ name: string; text: string }> = [];
    for (const key of keys) {
      const record = (await readJsonIfExists<BuildRecord>(this.layout.buildRecord(key)))!;
      for (const a of record.artifacts) {
        if ((a.architecture === 'all' ? 'all' : a.architecture) !== lane) continue;
        stanzas.push({ name: `${a.package} ${a.version}`, text: `${a.stanza}\nFilename: ./${a.file}\n` });
      }
    }
    stanzas.sort((x, y) => x.name.localeCompare(y.name));
    const packages = stanzas.map((s) => s.text).join('\n');
    await writeFileAtomic(path.join(laneDir, 'Packages'), packages);
    const release = [
      'Origin: Kiln',
      `Label: Kiln WIP ${this.push.tree}/${this.push.branch}@${this.push.commit.slice(0, 12)} ${lane}`,
      `Date: ${new Date().toUTCString().replace('GMT', 'UTC')}`,
      'SHA256:',
      ` ${crypto.createHash('sha256').update(packages).digest('hex')} ${Buffer.byteLength(packages)} Packages`,
      '',
    ].join('\n');
    await writeFileAtomic(path.join(laneDir, 'Release'), release);
    await writeFileAtomic(path.join(laneDir, 'InRelease'), await this.key.clearsign(release));
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
      if (!fs.existsSync(path.join(laneDir, 'InRelease'))) continue;
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


async function acquire(file: string): Promise<KeyLock> {
  for (;;) {
    const lock = await KeyLock.tryAcquire(file);
    if (lock) return lock;
    await new Promise((r) => setTimeout(r, 100));
  }
}
