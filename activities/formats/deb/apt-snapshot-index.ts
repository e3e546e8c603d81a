import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../../domain/atomic-file';
import { COMPONENT, packagesChunks, sourcesIndex, type IndexFile } from '../../../domain/publish/apt-index';
import { pathInside } from '../../../domain/safe-path';
import { hardLink } from '../../store/hard-link';
import type { SnapshotIndex, SnapshotIndexInput } from '../format-io';
import { XzChunkCache } from './chunked-xz';

/**
 * A snapshot's APT index: `dists/<suite>/main/binary-<arch>/Packages(.xz)` from the stanzas computed at build time,
 * `dists/<suite>/main/source/Sources(.xz)` from the checked .dsc files
 * (the .xz spliced from cached chunks: only the chunks a change touched are compressed again),
 * each also under by-hash/, and the previous snapshot's indexes kept by hash so a client that read its InRelease
 * just before the switch still finds them.
 */
async function write(input: SnapshotIndexInput): Promise<{ releaseDir: string; files: IndexFile[] }> {
  const releaseDir = path.join('dists', input.suite);
  const dists = path.join(input.staging, releaseDir);
  const files: IndexFile[] = [];
  const chunkCache = new XzChunkCache(path.join(input.cacheDir, 'packages-xz'));
  const used: string[] = [];
  for (const arch of input.arches) {
    const rel = `${COMPONENT}/binary-${arch}`;
    const chunks = packagesChunks(input.sources, arch);
    const packages = Buffer.from(chunks.join(''));
    const compressed = await chunkCache.compress(chunks);
    used.push(...compressed.used);
    const xz = compressed.xz;
    for (const [name, data] of [['Packages', packages], ['Packages.xz', xz]] as const) {
      const file: IndexFile = { path: `${rel}/${name}`, size: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') };
      files.push(file);
      await writeFileAtomic(pathInside(dists, file.path), data);
      await hardLink(path.join(dists, file.path), path.join(dists, rel, 'by-hash', 'SHA256', file.sha256));
    }
  }
  // Sources (deb-src): small beside Packages, compressed whole.
  const sources = Buffer.from(sourcesIndex(input.sources));
  const sourcesCache = new XzChunkCache(path.join(input.cacheDir, 'sources-xz'));
  const sourcesXz = await sourcesCache.compress(sources.length > 0 ? [sources.toString()] : []);
  const sourceRel = `${COMPONENT}/source`;
  for (const [name, data] of [['Sources', sources], ['Sources.xz', sourcesXz.xz]] as const) {
    const file: IndexFile = { path: `${sourceRel}/${name}`, size: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') };
    files.push(file);
    await writeFileAtomic(pathInside(dists, file.path), data);
    await hardLink(path.join(dists, file.path), path.join(dists, sourceRel, 'by-hash', 'SHA256', file.sha256));
  }
  await sourcesCache.prune(sourcesXz.used);
  const base = input.base;
  if (base && base.manifest.suite === input.suite) {
    const baseDists = path.join(base.dir, 'dists', base.manifest.suite);
    for (const index of base.manifest.indexes) {
      const byHash = path.join(path.dirname(index.path), 'by-hash', 'SHA256', index.sha256);
      if (fs.existsSync(path.join(baseDists, byHash))) await hardLink(path.join(baseDists, byHash), path.join(dists, byHash));
    }
  }
  await chunkCache.prune(used);
  return { releaseDir, files };
}

export const aptSnapshotIndex: SnapshotIndex = {
  releaseDir: (suite) => path.join('dists', suite),
  mirrorLayout: { marker: 'dists', indexes: ['/dists/***'] },
  sharedPool: 'pool',
  write,
};
