// What the host takes from a built pacman package (.pkg.tar.zst, .gz or .xz): its .PKGINFO and its file list, read
// from the stream without extracting anything. Every byte is the build's, so every name is checked, .PKGINFO must be
// one small regular file, and the amount of data and entries is bounded.
import { ResultRejected, quoteUntrusted } from '../../../domain/formats/result-rejected';
import { CONTROL_CHAR } from '../../../domain/formats/pacman/names';
import { MAX_PKGINFO_BYTES, parsePkginfo, type Pkginfo } from '../../../domain/formats/pacman/pkginfo';
import { decompress, detectCompression } from './decompress';
import { readTar, type TarEntry } from './tar-stream';

export interface PackageReadLimits {
  /** Decompressed bytes (the tar stream) at most. */
  maxBytes: number;
  timeoutMs: number;
  /** Entries at most, metadata included. */
  maxEntries: number;
}

export const DEFAULT_PACKAGE_READ_LIMITS: PackageReadLimits = { maxBytes: 8 * 1024 ** 3, timeoutMs: 10 * 60_000, maxEntries: 500_000 };

export interface PacmanPackageContents {
  info: Pkginfo;
  /** The paths as repo-add's files database lists them, in archive order: folders end in `/`, metadata left out. */
  files: string[];
}

export async function readPacmanPackage(file: string, limits: Partial<PackageReadLimits> = {}): Promise<PacmanPackageContents> {
  const { maxBytes, timeoutMs, maxEntries } = { ...DEFAULT_PACKAGE_READ_LIMITS, ...limits };
  const kind = await detectCompression(file);
  let pkginfo: string | undefined;
  let entries = 0;
  const files: string[] = [];
  await readTar(decompress(file, kind, { maxBytes, timeoutMs }), (entry) => {
    if (++entries > maxEntries) throw new ResultRejected(`the package holds more than ${maxEntries} entries`);
    const path = checkPath(entry);
    if (path === '.PKGINFO') {
      if (entry.type !== 'file') throw new ResultRejected(`its .PKGINFO is a ${entry.type}, not a regular file`);
      if (pkginfo !== undefined) throw new ResultRejected('it holds two .PKGINFO files');
      return MAX_PKGINFO_BYTES;
    }
    // Devices and FIFOs have no place in a package pacman installs from a repository.
    if (entry.type !== 'file' && entry.type !== 'hardlink' && entry.type !== 'symlink' && entry.type !== 'directory') {
      throw new ResultRejected(`${quoteUntrusted(path)} in the package is a ${entry.type}`);
    }
    if (!path.startsWith('.')) files.push(entry.type === 'directory' ? `${path}/` : path);
    return undefined;
  }, (_entry, body) => {
    try {
      pkginfo = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw new ResultRejected('its .PKGINFO is not UTF-8');
    }
  });
  if (pkginfo === undefined) throw new ResultRejected('it holds no .PKGINFO (not a pacman package)');
  return { info: parsePkginfo(pkginfo), files };
}

/** A relative path inside the package, without `.`/`..` parts or control characters; a folder's `/` dropped. */
function checkPath(entry: TarEntry): string {
  const path = entry.path.replace(/\/+$/, '');
  const parts = path.split('/');
  if (path === '' || path.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..') || CONTROL_CHAR.test(path)) {
    throw new ResultRejected(`the package holds an entry named ${quoteUntrusted(entry.path)}`);
  }
  if (entry.linkpath !== undefined && CONTROL_CHAR.test(entry.linkpath)) {
    throw new ResultRejected(`${quoteUntrusted(path)} in the package links to ${quoteUntrusted(entry.linkpath)}`);
  }
  return path;
}
