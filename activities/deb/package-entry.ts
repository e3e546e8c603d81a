import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { MAX_CONTROL_BYTES, parseBuiltControl } from '../../domain/formats/deb/built-package';

const exec = promisify(execFile);

export interface DebPackageEntry {
  package: string;
  version: string;
  architecture: string;
  /** The package's Packages-file stanza without Filename: computed once, when built; publishing only adds a path. */
  stanza: string;
}

/**
 * Read a .deb's control fields with dpkg-deb and make its APT index entry (Size, MD5sum, SHA256 as apt wants them).
 * The control text is untrusted: parseBuiltControl refuses anything that would not stay one well-formed stanza.
 */
export async function debPackageEntry(file: string): Promise<DebPackageEntry> {
  const { stdout } = await exec('dpkg-deb', ['--field', file], { maxBuffer: MAX_CONTROL_BYTES + 1024, timeout: 60_000 });
  const control = parseBuiltControl(stdout);
  const data = await fs.promises.readFile(file);
  const stanza = [
    control.text,
    `Size: ${data.length}`,
    `MD5sum: ${crypto.createHash('md5').update(data).digest('hex')}`,
    `SHA256: ${crypto.createHash('sha256').update(data).digest('hex')}`,
  ].join('\n');
  return { package: control.package, version: control.version, architecture: control.architecture, stanza };
}
