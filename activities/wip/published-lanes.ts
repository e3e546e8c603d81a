import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../../domain/atomic-file';
import type { DataLayout } from '../../domain/data-layout';
import { formatOf } from '../../domain/formats/registry';
import type { Plan } from '../../domain/push';
import { pathInside } from '../../domain/safe-path';
import { formatIO } from '../formats/registry';
import type { LanePackage } from '../formats/format-io';
import { BranchRepo } from '../publish/branch-repo';
import { hardLink } from '../store/hard-link';
import type { WipKey } from './wip-key';
import { withWipLock } from './wip-repo';

/** The lane of an arch that holds what the branch has published (and this push does not rebuild). */
export function publishedLane(arch: string): string {
  return `published_${arch}`;
}

/**
 * Before a push builds, give its WIP repository one lane per arch with the branch's published packages that the
 * push does not rebuild: a package rebuilt alone then still finds the build dependencies an earlier push published
 * (they are in no Debian mirror, and no Arch mirror is reachable at all). Sources the push rebuilds are left out, so
 * a lane never offers an older version of what the push itself makes. Idempotent: a retried plan writes it again.
 */
export async function seedPublishedLanes(layout: DataLayout, key: WipKey, plan: Plan): Promise<string[]> {
  if (plan.builds.length === 0) return [];
  const manifest = await new BranchRepo(layout, plan.push.tree, plan.push.branch).currentManifest();
  if (!manifest) return [];
  const format = formatOf(plan.format);
  const rebuilt = new Set(plan.builds.map((b) => b.source));
  const dir = layout.wip(plan.push);
  await fs.promises.mkdir(dir, { recursive: true });
  return withWipLock(dir, async () => {
    await key.ensure();
    await fs.promises.copyFile(key.publicKeyring, path.join(dir, 'wip.gpg'));
    const lanes: string[] = [];
    for (const arch of plan.arches) {
      const lane = publishedLane(arch);
      const laneDir = pathInside(dir, lane);
      const packages: LanePackage[] = [];
      for (const source of manifest.sources) {
        if (rebuilt.has(source.source)) continue;
        for (const a of source.artifacts) {
          if (a.architecture !== arch && a.architecture !== format.archIndependent) continue;
          await hardLink(path.join(layout.store, a.sha256), pathInside(laneDir, a.file));
          packages.push({ file: a.file, package: a.package, version: a.version, stanza: a.stanza, ...(a.contents !== undefined ? { contents: a.contents } : {}) });
        }
      }
      if (packages.length === 0) continue;
      await formatIO(plan.format).writeWipIndex(laneDir, packages, {
        lane,
        label: `Kiln published ${plan.push.tree}/${plan.push.branch} snapshot ${manifest.number} ${arch}`,
        clearsign: (text) => key.clearsign(text),
      });
      // Written last, as for build lanes: a lane without it is never mounted.
      await writeJsonAtomic(path.join(laneDir, 'kiln-manifest.json'), []);
      lanes.push(lane);
    }
    return lanes;
  });
}
