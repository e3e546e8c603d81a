import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMITS, restFixture, seg, switchCurrent, writeSnapshot, type RestFixture } from './rest-fixture';

// GET /api/repos/<tree>/<branch>/snapshots, .../snapshots/<n>, .../diff: a branch's snapshots, from their manifests.

let f: RestFixture;
const branch = 'release/1.x';
const api = (rest: string, b = branch) => `/api/repos/ports/${seg(b)}/${rest}`;

beforeAll(async () => {
  f = await restFixture();
  writeSnapshot(f.layout, 'ports', branch, { number: 1, commit: COMMITS.a, sources: { hello: '1.0-1', gone: '0.1' } });
  writeSnapshot(f.layout, 'ports', branch, { number: 2, commit: COMMITS.b, base: 1, sources: { hello: '1.1-1', gone: '0.1', rebuilt: '2.0', fresh: '1.0' } });
  writeSnapshot(f.layout, 'ports', branch, { number: 3, commit: COMMITS.c, base: 2, sources: { hello: '1.2-1', rebuilt: '2.0', fresh: '1.0' }, salt: { rebuilt: 'again' } });
  writeSnapshot(f.layout, 'ports', branch, { number: 4, commit: COMMITS.b, base: 3, rollbackOf: 2, sources: { hello: '1.1-1', gone: '0.1', rebuilt: '2.0', fresh: '1.0' } });
  switchCurrent(f.layout, 'ports', branch, 4);
  // Being made: never listed.
  fs.mkdirSync(path.join(f.layout.repo('ports', branch), 'snapshots', '.000005.staging'), { recursive: true });
});

describe('GET /api/repos/<tree>/<branch>/snapshots', () => {
  it('lists the kept snapshots newest first, marking the current one', async () => {
    const res = await f.app.inject({ method: 'GET', url: api('snapshots') });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.current).toBe(4);
    expect(body.snapshots.map((s: { number: number; current: boolean }) => [s.number, s.current])).toEqual([[4, true], [3, false], [2, false], [1, false]]);
    expect(body.snapshots[0]).toEqual({
      number: 4, commit: COMMITS.b, createdAt: '2026-01-04T00:00:00.000Z', suite: 'release-1.x', base: 3, rollbackOf: 2, current: true,
      publishedFor: `push/ports/release/1.x/${COMMITS.b}`, sources: 4, url: '/api/repos/ports/release%2F1.x/snapshots/4',
    });
    expect(body.snapshots[3]).not.toHaveProperty('base');
  });

  it('is empty for a branch never published', async () => {
    const res = await f.app.inject({ method: 'GET', url: api('snapshots', 'main') });
    expect(res.json()).toEqual({ snapshots: [] });
  });

  it('forgets a pruned snapshot', async () => {
    const g = await restFixture();
    writeSnapshot(g.layout, 'ports', 'main', { number: 1, sources: { a: '1' } });
    writeSnapshot(g.layout, 'ports', 'main', { number: 2, base: 1, sources: { a: '2' } });
    switchCurrent(g.layout, 'ports', 'main', 2);
    const list = async () => (await g.app.inject({ method: 'GET', url: '/api/repos/ports/main/snapshots' })).json().snapshots.map((s: { number: number }) => s.number);
    expect(await list()).toEqual([2, 1]);
    fs.rmSync(path.join(g.layout.repo('ports', 'main'), 'snapshots', '000001'), { recursive: true });
    expect(await list()).toEqual([2]);
  });
});

describe('GET /api/repos/<tree>/<branch>/snapshots/<n>', () => {
  it('summarizes the manifest: source packages, and binary packages per arch', async () => {
    const res = await f.app.inject({ method: 'GET', url: api('snapshots/1') });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ number: 1, commit: COMMITS.a, current: false, arches: ['amd64', 'i386'], url: '/api/repos/ports/release%2F1.x/snapshots/1' });
    expect(body.packages).toEqual([
      { source: 'gone', version: '0.1', arches: ['amd64', 'i386'] },
      { source: 'hello', version: '1.0-1', arches: ['amd64', 'i386'] },
    ]);
    expect(body.binaries.amd64.map((b: { package: string; architecture: string }) => `${b.package}:${b.architecture}`))
      .toEqual(['gone:amd64', 'gone-doc:all', 'hello:amd64', 'hello-doc:all']);
    expect(body.binaries.i386.map((b: { package: string; architecture: string }) => `${b.package}:${b.architecture}`))
      .toEqual(['gone:i386', 'gone-doc:all', 'hello:i386', 'hello-doc:all']);
    expect(body.binaries.amd64[2]).toEqual({
      package: 'hello', version: '1.0-1', architecture: 'amd64', source: 'hello', file: 'hello_1.0-1_amd64.deb', size: 100, sha256: 'hello-1.0-1-amd64-',
    });
  });

  it.each([
    ['snapshots/9', 404, 'SNAPSHOT_UNKNOWN'],
    ['snapshots/0', 400, 'REQUEST_INVALID'],
    ['snapshots/-1', 400, 'REQUEST_INVALID'],
    ['snapshots/two', 400, 'REQUEST_INVALID'],
    ['snapshots/1.5', 400, 'REQUEST_INVALID'],
  ])('answers %s with %i %s', async (rest, status, code) => {
    const res = await f.app.inject({ method: 'GET', url: api(rest) });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
  });
});

describe('GET /api/repos/<tree>/<branch>/diff', () => {
  it('names added, removed and changed source packages', async () => {
    const res = await f.app.inject({ method: 'GET', url: api('diff?from=1&to=3') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      from: 1,
      to: 3,
      added: [{ source: 'fresh', version: '1.0' }, { source: 'rebuilt', version: '2.0' }],
      removed: [{ source: 'gone', version: '0.1' }],
      changed: [{ source: 'hello', from: '1.0-1', to: '1.2-1' }],
    });
  });

  it('marks a package rebuilt at the same version, and works backwards', async () => {
    const res = await f.app.inject({ method: 'GET', url: api('diff?from=3&to=2') });
    expect(res.json()).toEqual({
      from: 3,
      to: 2,
      added: [{ source: 'gone', version: '0.1' }],
      removed: [],
      changed: [{ source: 'hello', from: '1.2-1', to: '1.1-1' }, { source: 'rebuilt', from: '2.0', to: '2.0', rebuilt: true }],
    });
  });

  it('is empty between a rollback and what it rolled back to', async () => {
    const res = await f.app.inject({ method: 'GET', url: api('diff?from=2&to=4') });
    expect(res.json()).toEqual({ from: 2, to: 4, added: [], removed: [], changed: [] });
  });

  it.each([
    ['diff?from=1', 400, 'REQUEST_INVALID'],
    ['diff', 400, 'REQUEST_INVALID'],
    ['diff?from=a&to=2', 400, 'REQUEST_INVALID'],
    ['diff?from=1&to=2&extra=1', 400, 'REQUEST_INVALID'],
    ['diff?from=1&to=99', 404, 'SNAPSHOT_UNKNOWN'],
  ])('answers %s with %i %s', async (rest, status, code) => {
    const res = await f.app.inject({ method: 'GET', url: api(rest) });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
  });
});

describe('unknown trees and branches', () => {
  it.each(['snapshots', 'snapshots/1', 'diff?from=1&to=2'])('%s answers TREE_UNKNOWN and BRANCH_UNKNOWN', async (rest) => {
    const tree = await f.app.inject({ method: 'GET', url: `/api/repos/nope/main/${rest}` });
    expect(tree.statusCode).toBe(404);
    expect(tree.json().error.code).toBe('TREE_UNKNOWN');
    const branchRes = await f.app.inject({ method: 'GET', url: `/api/repos/ports/stray/${rest}` });
    expect(branchRes.statusCode).toBe(404);
    expect(branchRes.json().error.code).toBe('BRANCH_UNKNOWN');
  });
});
