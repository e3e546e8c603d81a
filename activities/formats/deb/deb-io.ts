import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { writeFileAtomic } from '../../../domain/atomic-file';
import { checkBuiltPackage } from '../../../domain/formats/deb/built-package';
import { debPackageEntry } from '../../deb/package-entry';
import type { FormatIO, LanePackage, WipLaneContext } from '../format-io';
import { aptSnapshotIndex } from './apt-snapshot-index';
import { autopkgtestPlan } from './autopkgtest-plan';
import { readDebSourcePackage } from './source-io';

/**
 * A WIP lane as a flat APT repository: Packages from the entries computed at build time, a Release listing it, and
 * InRelease signed with the push's WIP key (the build's apt trusts only that key for the lane).
 */
async function writeWipIndex(dir: string, packages: readonly LanePackage[], context: WipLaneContext): Promise<void> {
  const stanzas = [...packages]
    .map((p) => ({ name: `${p.package} ${p.version}`, text: `${p.stanza}\nFilename: ./${p.file}\n` }))
    .sort((x, y) => x.name.localeCompare(y.name));
  const index = stanzas.map((s) => s.text).join('\n');
  await writeFileAtomic(path.join(dir, 'Packages'), index);
  const release = [
    'Origin: Kiln',
    `Label: ${context.label}`,
    `Date: ${new Date().toUTCString().replace('GMT', 'UTC')}`,
    'SHA256:',
    ` ${crypto.createHash('sha256').update(index).digest('hex')} ${Buffer.byteLength(index)} Packages`,
    '',
  ].join('\n');
  await writeFileAtomic(path.join(dir, 'Release'), release);
  await writeFileAtomic(path.join(dir, 'InRelease'), await context.clearsign(release));
}

export const debIO: FormatIO = {
  readBuiltPackage: debPackageEntry,
  checkBuiltPackage: (name, entry, expected) => checkBuiltPackage(name, entry, expected),
  writeWipIndex,
  snapshotIndex: aptSnapshotIndex,
  installTestPlan: autopkgtestPlan,
  readSourcePackage: readDebSourcePackage,
};
