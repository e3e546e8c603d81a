import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../../domain/atomic-file';
import { descEntry, filesEntry } from '../../../domain/formats/pacman/repo-entry';
import { ResultRejected } from '../../../domain/formats/result-rejected';
import type { BuiltPackageEntry, BuiltPackageExpectation, FormatIO, LanePackage } from '../format-io';
import { readPacmanPackage } from './package-reader';
import { repoDatabase } from './repo-db';
import { databaseEntries } from './database-entries';
import { pacmanSnapshotIndex } from './pacman-snapshot-index';
import { kilnTestPlan } from './kiln-test-plan';

/**
 * Read a built package once: its .PKGINFO (validated by the reader) becomes the `desc` entry repo-add would write,
 * with the size and digests of the file as the host holds it, and its file list the `files` entry.
 */
async function readBuiltPackage(file: string): Promise<BuiltPackageEntry> {
  const { info, files } = await readPacmanPackage(file);
  const data = await fs.promises.readFile(file);
  const desc = descEntry(info, {
    filename: path.basename(file),
    csize: data.length,
    sha256: crypto.createHash('sha256').update(data).digest('hex'),
    md5: crypto.createHash('md5').update(data).digest('hex'),
  });
  return { package: info.pkgname, version: info.pkgver, architecture: info.arch, stanza: desc, contents: filesEntry(files) };
}

/** A package the recipe declares (or its automatic `-debug`), of the planned version and arch, named as makepkg names it. */
function checkBuiltPackage(name: string, entry: BuiltPackageEntry, expected: BuiltPackageExpectation): void {
  const want = `${entry.package}-${entry.version}-${entry.architecture}.pkg.tar.zst`;
  if (name !== want) throw new ResultRejected(`${name}: its .PKGINFO names ${want}`);
  if (entry.version !== expected.version) throw new ResultRejected(`${name}: version ${entry.version} is not the recipe's ${expected.version}`);
  const allowed = new Set<string>();
  if (expected.scope !== 'all') allowed.add(expected.arch);
  if (expected.scope !== 'any') allowed.add('any');
  if (!allowed.has(entry.architecture)) {
    throw new ResultRejected(`${name}: arch ${entry.architecture} is not what this build makes (${[...allowed].join(' or ')})`);
  }
  if (!expected.binaries) return;
  const base = entry.package.endsWith('-debug') ? entry.package.slice(0, -'-debug'.length) : undefined;
  const declared = expected.binaries.find((b) => b.name === entry.package) ?? (base ? expected.binaries.find((b) => b.name === base) : undefined);
  if (!declared) {
    throw new ResultRejected(`${name}: package ${entry.package} is not declared in the recipe's .SRCINFO (it declares ${expected.binaries.map((b) => b.name).join(', ')})`);
  }
  if (declared.all !== (entry.architecture === 'any')) {
    throw new ResultRejected(`${name}: package ${entry.package} is declared ${declared.all ? 'arch=(any)' : 'arch-specific'} but built as ${entry.architecture}`);
  }
}

/**
 * A WIP lane as a pacman repository `wip-<lane>`: its database beside the package files. The build container's
 * pacman.conf lists it with `SigLevel = Never`: the lane is made by the host and mounted read-only.
 */
async function writeWipIndex(dir: string, packages: readonly LanePackage[], context: { lane: string }): Promise<void> {
  const db = await repoDatabase(databaseEntries(packages), 'db');
  await writeFileAtomic(path.join(dir, `wip-${context.lane}.db.tar.gz`), db);
  await writeFileAtomic(path.join(dir, `wip-${context.lane}.db`), db);
}

export const pacmanIO: FormatIO = {
  readBuiltPackage,
  checkBuiltPackage,
  writeWipIndex,
  snapshotIndex: pacmanSnapshotIndex,
  installTestPlan: kilnTestPlan,
};
