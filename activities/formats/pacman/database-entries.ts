import { entryDirName } from '../../../domain/formats/pacman/repo-entry';
import type { LanePackage } from '../format-io';

/** The database entries of these packages: one `<name>-<version>/` folder each, as repo-add makes them. */
export function databaseEntries(packages: ReadonlyArray<Pick<LanePackage, 'package' | 'version' | 'stanza' | 'contents'>>) {
  return [...packages]
    .sort((x, y) => x.package.localeCompare(y.package) || x.version.localeCompare(y.version))
    .map((p) => ({ dirName: entryDirName({ pkgname: p.package, pkgver: p.version }), desc: p.stanza, ...(p.contents !== undefined ? { files: p.contents } : {}) }));
}
