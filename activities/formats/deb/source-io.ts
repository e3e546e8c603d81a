import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { SOURCE_ARCHITECTURE } from '../../../domain/build';
import { checkSourcePackage, MAX_DSC_BYTES, type SourceFileFacts } from '../../../domain/formats/deb/source-package';
import { ResultRejected } from '../../../domain/formats/result-rejected';
import type { BuiltPackageEntry } from '../format-io';

// The host's side of a handed-back source package: measure each file itself (never the build's word for a size or
// digest), read the .dsc with a size cap, and check the lot (domain/formats/deb/source-package.ts).

async function measure(name: string, file: string): Promise<SourceFileFacts> {
  const sha256 = crypto.createHash('sha256');
  const md5 = crypto.createHash('md5');
  let size = 0;
  // The results were copied out of the container into a folder of the worker's: regular files, no links.
  for await (const chunk of fs.createReadStream(file)) {
    sha256.update(chunk as Buffer);
    md5.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { name, size, sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

export async function readDebSourcePackage(
  sourceFiles: ReadonlyArray<{ name: string; file: string }>,
  expected: { source: string; version: string },
): Promise<Map<string, BuiltPackageEntry>> {
  const dscs = sourceFiles.filter((f) => f.name.endsWith('.dsc'));
  if (dscs.length !== 1) throw new ResultRejected(`a build hands back one .dsc with its source files, not ${dscs.length}`);
  const [dsc] = dscs;
  const facts = await Promise.all(sourceFiles.map((f) => measure(f.name, f.file)));
  const dscFacts = facts.find((f) => f.name === dsc.name)!;
  if (dscFacts.size > MAX_DSC_BYTES) throw new ResultRejected(`${dsc.name} is over ${MAX_DSC_BYTES} bytes`);
  const text = await fs.promises.readFile(dsc.file, 'utf8');
  const { stanza } = checkSourcePackage(text, dscFacts, facts.filter((f) => f.name !== dsc.name), expected);
  const entries = new Map<string, BuiltPackageEntry>();
  for (const f of facts) {
    entries.set(f.name, { package: expected.source, version: expected.version, architecture: SOURCE_ARCHITECTURE, stanza: f.name === dsc.name ? stanza : '' });
  }
  return entries;
}
