import { describe, expect, it } from 'vitest';
import { packagesIndex, releaseFile, trustedComment } from '../../../domain/publish/apt-index';
import type { SnapshotSource } from '../../../domain/publish/snapshot-manifest';

const source = (name: string, arches: string[]): SnapshotSource => ({
  source: name, version: '1.0', treeHash: 't', arches: ['amd64'],
  artifacts: arches.map((architecture) => ({
    file: `${name}_1.0_${architecture}.deb`, pool: `pool/main/${name[0]}/${name}/${name}_1.0_${architecture}.deb`, sha256: 'a'.repeat(64),
    size: 1, package: name, version: '1.0', architecture, builtOn: 'amd64', key: 'k', stanza: `Package: ${name}\nArchitecture: ${architecture}\n`,
  })),
});

describe('APT index', () => {
  const sources = [source('zed', ['amd64', 'i386']), source('docs', ['all'])];

  it('lists an arch\'s packages and every arch-all one in binary-<arch>, sorted, with Filename', () => {
    expect(packagesIndex(sources, 'i386')).toBe(
      'Package: docs\nArchitecture: all\nFilename: pool/main/d/docs/docs_1.0_all.deb\n\n' +
      'Package: zed\nArchitecture: i386\nFilename: pool/main/z/zed/zed_1.0_i386.deb\n',
    );
    expect(packagesIndex([], 'amd64')).toBe('');
  });

  it('writes a Release apt accepts: suite, arches, by-hash, SHA256 of each index', () => {
    const text = releaseFile({
      tree: 'example', branch: 'main', suite: 'main', arches: ['amd64', 'i386'], snapshot: 3, commit: 'c0ffee',
      date: new Date(Date.UTC(2026, 10, 21, 12, 0, 0)),
      files: [{ path: 'main/binary-i386/Packages', size: 5, sha256: 'b'.repeat(64) }, { path: 'main/binary-amd64/Packages', size: 12, sha256: 'c'.repeat(64) }],
    });
    expect(text).toContain('Date: Sat, 21 Nov 2026 12:00:00 UTC\n');
    expect(text).toContain('Architectures: amd64 i386\n');
    expect(text).toContain('Acquire-By-Hash: yes\n');
    expect(text.split('SHA256:\n')[1]).toBe(` ${'c'.repeat(64)}       12 main/binary-amd64/Packages\n ${'b'.repeat(64)}        5 main/binary-i386/Packages\n`);
  });

  it('names tree, branch, snapshot and commit in the trusted comment', () => {
    expect(trustedComment({ tree: 't', branch: 'b', suite: 's', snapshot: 7, commit: 'abc' })).toBe('kiln tree:t branch:b suite:s snapshot:7 commit:abc');
  });
});
