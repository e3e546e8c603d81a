import { isSourceArtifact } from '../build';
import type { SnapshotArtifact, SnapshotSource } from './snapshot-manifest';

// The APT index of a snapshot, as pure text: Packages per arch from the stanzas computed at build time, and the
// Release file that lists them. Signing it is the signer's job; writing it is the snapshot activity's.

export const COMPONENT = 'main';

/** Debian's pool layout: `pool/main/<prefix>/<source>/<file>`, prefix `libX` for lib* sources, else the initial. */
export function poolPath(source: string, file: string): string {
  const prefix = source.startsWith('lib') && source.length > 3 ? source.slice(0, 4) : source.slice(0, 1);
  return `pool/${COMPONENT}/${prefix}/${source}/${file}`;
}

/** Packages of `binary-<arch>`: that arch's packages and every `Architecture: all` one, sorted, one stanza each. */
export function packagesIndex(sources: readonly SnapshotSource[], arch: string): string {
  return packagesChunks(sources, arch).join('');
}

/** Entries per chunk on average: ~100 KB of text, one xz call's worth when a chunk changes. */
const CHUNK_MASK = 0xff;
/** A chunk never grows beyond this, whatever the names hash to. */
const CHUNK_MAX_CHARS = 1 << 20;

/**
 * The same text as `packagesIndex`, cut into chunks whose ends depend only on the package names at them (a boundary
 * after each entry whose name hashes to 0 modulo 256): adding, removing or changing one package changes one chunk
 * and leaves the others byte for byte, so their compressed form can be reused.
 */
export function packagesChunks(sources: readonly SnapshotSource[], arch: string): string[] {
  const entries: SnapshotArtifact[] = [];
  for (const source of sources) {
    for (const a of source.artifacts) if (a.architecture === arch || a.architecture === 'all') entries.push(a);
  }
  entries.sort((x, y) => x.package.localeCompare(y.package) || x.version.localeCompare(y.version) || x.architecture.localeCompare(y.architecture));
  const chunks: string[] = [];
  let chunk = '';
  entries.forEach((a, i) => {
    chunk += `${a.stanza.replace(/\n+$/, '')}\nFilename: ${a.pool}\n${i < entries.length - 1 ? '\n' : ''}`;
    if ((fnv1a(a.package) & CHUNK_MASK) === 0 || chunk.length >= CHUNK_MAX_CHARS) { chunks.push(chunk); chunk = ''; }
  });
  if (chunk) chunks.push(chunk);
  return chunks;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Sources of the component: one stanza per source package of the snapshot (its .dsc's, checked and rewritten when it
 * was built), with the folder its files are in. Sorted by name and version.
 */
export function sourcesIndex(sources: readonly SnapshotSource[]): string {
  const entries: SnapshotArtifact[] = [];
  for (const source of sources) {
    for (const a of source.artifacts) if (isSourceArtifact(a) && a.file.endsWith('.dsc') && a.stanza) entries.push(a);
  }
  entries.sort((x, y) => x.package.localeCompare(y.package) || x.version.localeCompare(y.version));
  return entries.map((a) => `${a.stanza.replace(/\n+$/, '')}\nDirectory: ${a.pool.slice(0, a.pool.lastIndexOf('/'))}\n`).join('\n');
}

export interface IndexFile {
  /** Relative to `dists/<suite>/`. */
  path: string;
  size: number;
  sha256: string;
}

export interface ReleaseFields {
  tree: string;
  branch: string;
  suite: string;
  arches: readonly string[];
  snapshot: number;
  commit: string;
  date: Date;
  files: readonly IndexFile[];
}

/** RFC 2822 in UTC, as Debian writes it. */
export function releaseDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, 'UTC');
}

/**
 * The Release file. Acquire-By-Hash lets a client that read the previous InRelease still fetch the indexes it names
 * from the next snapshot (which keeps them under by-hash/), so a switch between two of its requests cannot break it.
 */
export function releaseFile(fields: ReleaseFields): string {
  const lines = [
    'Origin: Kiln',
    `Label: ${fields.tree}`,
    `Suite: ${fields.suite}`,
    `Codename: ${fields.suite}`,
    `Date: ${releaseDate(fields.date)}`,
    `Architectures: ${fields.arches.join(' ')}`,
    `Components: ${COMPONENT}`,
    `Description: Kiln ${fields.tree}/${fields.branch} snapshot ${fields.snapshot} (commit ${fields.commit})`,
    'Acquire-By-Hash: yes',
    'SHA256:',
    ...[...fields.files].sort((a, b) => a.path.localeCompare(b.path)).map((f) => ` ${f.sha256} ${String(f.size).padStart(8)} ${f.path}`),
  ];
  return lines.join('\n') + '\n';
}

/** What the signer's trusted comment says: tree, branch, snapshot and commit, on one line. */
export function trustedComment(fields: Pick<ReleaseFields, 'tree' | 'branch' | 'suite' | 'snapshot' | 'commit'>): string {
  return `kiln tree:${fields.tree} branch:${fields.branch} suite:${fields.suite} snapshot:${fields.snapshot} commit:${fields.commit}`;
}
