// Arch Linux / pacman packages: version order, .SRCINFO recipes, .PKGINFO of built packages, repository entries.
export { vercmp, isValidPacmanVersion } from './version';
export { PACKAGE_NAME, ARCH_NAME, parseDep, formatDep } from './names';
export type { Dep } from './names';
export { parseSrcinfo, makedependsFor, checkdependsFor, dependsFor, providesFor, MAX_SRCINFO_BYTES } from './srcinfo';
export type { SrcinfoRecipe, SrcinfoPackage, SrcinfoResult } from './srcinfo';
export { parsePkginfo, MAX_PKGINFO_BYTES } from './pkginfo';
export type { Pkginfo } from './pkginfo';
export { descEntry, filesEntry, entryDirName } from './repo-entry';
export type { PackageFile } from './repo-entry';
