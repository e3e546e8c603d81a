import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { writeTar } from '../../activities/formats/pacman/tar-writer';

// Valid binary packages made in memory, thousands a second, for the repository-size benchmarks: an ar archive of
// debian-binary, control.tar.gz and data.tar.gz, as dpkg-deb makes it. dpkg-deb, apt-ftparchive, reprepro and apt
// take them; the benchmark checks a sample against Kiln's own index entry code.

export interface SyntheticDeb {
  package: string;
  version: string;
  architecture: string;
  file: string;
  data: Buffer;
  sha256: string;
  /** The Packages stanza without Filename, as Kiln computes it when a build finishes. */
  stanza: string;
}

const MTIME = 1_700_000_000;

function arMember(name: string, data: Buffer): Buffer {
  const field = (value: string, width: number) => value.padEnd(width, ' ');
  const header = Buffer.from(
    field(name, 16) + field(String(MTIME), 12) + field('0', 6) + field('0', 6) + field('100644', 8) + field(String(data.length), 10) + '`\n',
    'ascii',
  );
  return Buffer.concat([header, data, data.length % 2 ? Buffer.from('\n') : Buffer.alloc(0)]);
}

/** One package; `payloadBytes` of incompressible data makes a realistic large one. */
export function syntheticDeb(name: string, version: string, options: { architecture?: string; payloadBytes?: number } = {}): SyntheticDeb {
  const architecture = options.architecture ?? 'amd64';
  const payload = options.payloadBytes ? crypto.randomBytes(options.payloadBytes) : Buffer.from(`${name} ${version}\n`);
  const dataTar = writeTar([
    { path: './' }, { path: './usr/' }, { path: './usr/share/' }, { path: `./usr/share/${name}/` },
    { path: `./usr/share/${name}/payload`, data: payload },
  ], { mtime: MTIME });
  const control = [
    `Package: ${name}`,
    `Version: ${version}`,
    `Architecture: ${architecture}`,
    'Maintainer: Kiln benchmarks <bench@kiln.invalid>',
    `Installed-Size: ${Math.max(1, Math.ceil(payload.length / 1024))}`,
    'Section: misc',
    'Priority: optional',
    `Description: synthetic package ${name} for Kiln's benchmarks`,
    ' It installs one file and does nothing else.',
  ].join('\n') + '\n';
  const controlTar = writeTar([{ path: './' }, { path: './control', data: Buffer.from(control) }], { mtime: MTIME });
  const level = options.payloadBytes ? 1 : 9;
  const data = Buffer.concat([
    Buffer.from('!<arch>\n'),
    arMember('debian-binary', Buffer.from('2.0\n')),
    arMember('control.tar.gz', zlib.gzipSync(controlTar, { level: 9 })),
    arMember('data.tar.gz', zlib.gzipSync(dataTar, { level })),
  ]);
  const sha256 = crypto.createHash('sha256').update(data).digest('hex');
  const stanza = [
    control.trimEnd(),
    `Size: ${data.length}`,
    `MD5sum: ${crypto.createHash('md5').update(data).digest('hex')}`,
    `SHA256: ${sha256}`,
  ].join('\n');
  return { package: name, version, architecture, file: `${name}_${version}_${architecture}.deb`, data, sha256, stanza };
}
