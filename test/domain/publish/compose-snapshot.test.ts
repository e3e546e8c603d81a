import { describe, expect, it } from 'vitest';
import { composeSnapshot, ComposeError, type BuiltSource } from '../../../domain/publish/compose-snapshot';
import type { SnapshotSource } from '../../../domain/publish/snapshot-manifest';

const artifact = (pkg: string, version: string, architecture: string) => ({
  file: `${pkg}_${version}_${architecture}.deb`, sha256: `${pkg}${version}${architecture}`.padEnd(64, '0'), size: 10,
  package: pkg, version, architecture, stanza: `Package: ${pkg}\nVersion: ${version}\nArchitecture: ${architecture}`,
});

const built = (source: string, version: string, arch: string, archs: string[]): BuiltSource => ({
  source, version, treeHash: `t-${source}-${version}`, arch, key: `k-${source}-${arch}`,
  artifacts: archs.map((a) => artifact(source, version, a)),
});

function published(sources: BuiltSource[]): SnapshotSource[] {
  return composeSnapshot({ built: sources, unchanged: [] });
}

describe('composeSnapshot', () => {
  const base = {
    number: 1,
    sources: published([
      built('hello', '1.0', 'amd64', ['amd64', 'all']),
      built('hello', '1.0', 'i386', ['i386']),
      built('docs', '1.0', 'amd64', ['all']),
      built('gone', '1.0', 'amd64', ['amd64']),
    ]),
  };

  it('takes new builds, carries unchanged sources over, drops what the tree no longer has', () => {
    const sources = composeSnapshot({
      base,
      built: [built('hello', '2.0', 'amd64', ['amd64', 'all']), built('hello', '2.0', 'i386', ['i386'])],
      unchanged: [{ source: 'docs', version: '1.0' }],
    });
    expect(sources.map((s) => `${s.source} ${s.version} ${s.arches.join(',')}`)).toEqual(['docs 1.0 amd64', 'hello 2.0 amd64,i386']);
    expect(sources[1].artifacts.map((a) => a.pool)).toEqual([
      'pool/main/h/hello/hello_2.0_all.deb', 'pool/main/h/hello/hello_2.0_amd64.deb', 'pool/main/h/hello/hello_2.0_i386.deb',
    ]);
    expect(sources[0]).toBe(base.sources.find((s) => s.source === 'docs'));
  });

  it('keeps the artifacts of arches a same-version push did not rebuild (an arch added later)', () => {
    const sources = composeSnapshot({
      base: { number: 2, sources: published([built('hello', '1.0', 'amd64', ['amd64'])]) },
      built: [built('hello', '1.0', 'i386', ['i386'])],
      unchanged: [],
    });
    expect(sources[0].arches).toEqual(['amd64', 'i386']);
    expect(sources[0].artifacts.map((a) => a.architecture)).toEqual(['amd64', 'i386']);
  });

  it('refuses a source planned as unchanged that the base no longer has at that version', () => {
    expect(() => composeSnapshot({ base, built: [], unchanged: [{ source: 'docs', version: '0.9' }] })).toThrow(ComposeError);
    expect(() => composeSnapshot({ built: [], unchanged: [{ source: 'docs', version: '1.0' }] })).toThrow(/push again/);
  });

  it('refuses one pool path holding two different files', () => {
    const a = built('hello', '3.0', 'amd64', ['all']);
    const b = { ...built('hello', '3.0', 'i386', ['all']) };
    b.artifacts = b.artifacts.map((x) => ({ ...x, sha256: 'f'.repeat(64) }));
    expect(() => composeSnapshot({ built: [a, b], unchanged: [] })).toThrow(/two different files/);
  });

  it('refuses one binary package published by two sources, built or carried over', () => {
    const glibc = built('glibc', '2.0', 'amd64', []);
    glibc.artifacts = [artifact('libc6', '2.0', 'amd64')];
    const evil = built('kiln-evil', '1.0', 'amd64', []);
    evil.artifacts = [artifact('libc6', '9.0', 'amd64')];
    expect(() => composeSnapshot({ built: [glibc, evil], unchanged: [] })).toThrow(expect.objectContaining({ code: 'SNAPSHOT_CONFLICT', message: 'binary package libc6 would be published by both glibc and kiln-evil' }));
    const base2 = { number: 2, sources: published([glibc]) };
    expect(() => composeSnapshot({ base: base2, built: [evil], unchanged: [{ source: 'glibc', version: '2.0' }] })).toThrow(/libc6 would be published by both glibc and kiln-evil/);
  });

  it('lets a binary package of a source that left the tree (renamed, removed) change owner', () => {
    const renamed = built('kiln-hello', '2.0', 'amd64', []);
    renamed.artifacts = [artifact('hello', '2.0', 'amd64')];
    const sources = composeSnapshot({ base, built: [renamed], unchanged: [{ source: 'docs', version: '1.0' }] });
    expect(sources.map((s) => `${s.source}: ${s.artifacts.map((a) => a.package).join(',')}`)).toEqual(['docs: docs', 'kiln-hello: hello']);
  });

  it('uses lib prefixes in the pool like Debian', () => {
    expect(published([built('libkiln', '1', 'amd64', ['amd64'])])[0].artifacts[0].pool).toBe('pool/main/libk/libkiln/libkiln_1_amd64.deb');
  });
});
