import * as crypto from 'node:crypto';
import { writeFileAtomic } from '../../../domain/atomic-file';
import type { IndexFile } from '../../../domain/publish/apt-index';
import { pathInside } from '../../../domain/safe-path';
import { hardLink } from '../../store/hard-link';
import type { SnapshotIndex, SnapshotIndexInput } from '../format-io';
import { databaseEntries } from './database-entries';
import { repoDatabase } from './repo-db';

/**
 * A snapshot as pacman reads it: `<arch>/` per architecture holding the arch's packages and every `any` one (hard
 * links), `<tree>.db.tar.gz` and `<tree>.files.tar.gz` with their `<tree>.db`/`.files` names (hard links, so the
 * server never follows a link), and at the top a Release listing the databases that the signer signs (minisign,
 * like HaikuPorts' repositories) besides the detached `<tree>.db.sig`/`.files.sig` that pacman checks.
 */
async function write(input: SnapshotIndexInput): Promise<{ releaseDir: string; files: IndexFile[]; databases: string[] }> {
  const files: IndexFile[] = [];
  for (const arch of input.arches) {
    const artifacts = input.sources.flatMap((s) => s.artifacts).filter((a) => a.architecture === arch || a.architecture === 'any');
    for (const a of artifacts) {
      const inArch = `${arch}/${a.file}`;
      if (a.pool !== inArch) await hardLink(pathInside(input.staging, a.pool), pathInside(input.staging, inArch));
    }
    for (const kind of ['db', 'files'] as const) {
      const entries = databaseEntries(artifacts.map((a) => ({ package: a.package, version: a.version, stanza: a.stanza, contents: kind === 'files' ? a.contents ?? '%FILES%\n' : undefined })));
      const data = await repoDatabase(entries, kind);
      const name = `${arch}/${input.tree}.${kind}`;
      await writeFileAtomic(pathInside(input.staging, `${name}.tar.gz`), data);
      await hardLink(pathInside(input.staging, `${name}.tar.gz`), pathInside(input.staging, name));
      files.push({ path: name, size: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') });
    }
  }
  return { releaseDir: '.', files, databases: files.map((f) => f.path) };
}

export const pacmanSnapshotIndex: SnapshotIndex = {
  releaseDir: () => '.',
  // The Release (and its signatures) at the top, each arch's databases, their links and detached signatures.
  mirrorLayout: { marker: 'Release', indexes: ['/Release', '/Release.*', '/InRelease', '/*/*.db', '/*/*.db.*', '/*/*.files', '/*/*.files.*'] },
  write,
};
