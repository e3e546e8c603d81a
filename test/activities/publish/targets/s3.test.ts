import { describe, expect, it } from 'vitest';
import { indexMatcher, indexRank } from '../../../../activities/publish/targets';

// Which files of a snapshot an S3 target sends as indexes, and in which order (the rsync target's layouts).
describe('indexMatcher', () => {
  it('reads an APT layout: dists/ and everything in it', () => {
    const isIndex = indexMatcher({ marker: 'dists', indexes: ['/dists/***'] });
    expect(['dists', 'dists/main/InRelease', 'dists/main/main/binary-amd64/by-hash/SHA256/ab'].every(isIndex)).toBe(true);
    expect(['pool/main/h/hello/hello_1_amd64.deb', 'distsx/a', 'kiln-archive-keyring.gpg'].some(isIndex)).toBe(false);
  });

  it('reads a pacman layout: the Release files at the top and each arch\'s databases', () => {
    const isIndex = indexMatcher({ marker: 'Release', indexes: ['/Release', '/Release.*', '/InRelease', '/*/*.db', '/*/*.db.*', '/*/*.files', '/*/*.files.*'] });
    expect(['Release', 'Release.minisig', 'InRelease', 'x86_64/t.db', 'x86_64/t.db.tar.gz', 'x86_64/t.files.sig'].every(isIndex)).toBe(true);
    expect(['x86_64/hello-1-1-x86_64.pkg.tar.zst', 'a/b/t.db', 'Releasenotes'].some(isIndex)).toBe(false);
  });
});

describe('indexRank', () => {
  it('sends by-hash copies first and InRelease last', () => {
    const files = ['dists/main/InRelease', 'dists/main/Release', 'dists/main/main/binary-amd64/Packages.xz', 'dists/main/Release.gpg',
      'dists/main/main/binary-amd64/by-hash/SHA256/ff'];
    expect([...files].sort((a, b) => indexRank(a) - indexRank(b) || a.localeCompare(b))).toEqual([
      'dists/main/main/binary-amd64/by-hash/SHA256/ff', 'dists/main/main/binary-amd64/Packages.xz',
      'dists/main/Release', 'dists/main/Release.gpg', 'dists/main/InRelease',
    ]);
  });
});
