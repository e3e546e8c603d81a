import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { promisify } from 'node:util';

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
 */
export async function debPackageEntry(file: string): Promise<DebPackageEntry> {
  const { stdout } = await exec('dpkg-deb', ['--field', file], { maxBuffer: 16 * 1024 * 1024 });
  const control = stdout.replace(/\n+$/, '');
  const field = (name: string): string => {
    const match = new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(control);
    if (!match) throw new Error(`${file}: control has no ${name} field`);
    return match[1].trim();
  };
  const data = await fs.promises.readFile(file);
  const stanza = [
    control,
    `Size: ${data.length}`,
    `MD5sum: ${crypto.createHash('md5').update(data).digest('hex')}`,
    `SHA256: ${crypto.createHash('sha256').update(data).digest('hex')}`,
  ].join('\n');
  return { package: field('Package'), version: field('Version'), architecture: field('Architecture'), stanza };
}
