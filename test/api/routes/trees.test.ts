import { beforeAll, describe, expect, it } from 'vitest';
import { COMMITS, pushStatus, restFixture, switchCurrent, writeRecord, writeSnapshot, type RestFixture } from './rest-fixture';

// GET /api/trees: configured trees, and per branch the published snapshot and the last push.

let f: RestFixture;

beforeAll(async () => {
  f = await restFixture();
  writeSnapshot(f.layout, 'ports', 'main', { number: 1, commit: COMMITS.a, sources: { hello: '1.0-1' } });
  writeSnapshot(f.layout, 'ports', 'main', { number: 2, commit: COMMITS.b, base: 1, sources: { hello: '1.0-2' } });
  switchCurrent(f.layout, 'ports', 'main', 2);
  const main = { tree: 'ports', branch: 'main' };
  writeRecord(f.layout, pushStatus({ ...main, commit: COMMITS.a }, { startedAt: 1_000 }));
  writeRecord(f.layout, pushStatus({ ...main, commit: COMMITS.c }, { state: 'failed', startedAt: 5_000, finishedAt: 6_000 }));
  writeRecord(f.layout, pushStatus({ ...main, commit: COMMITS.b }, { startedAt: 3_000 }));
});

describe('GET /api/trees', () => {
  it('lists every tree and branch with its suite, current snapshot and newest push', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/api/trees' });
    expect(res.statusCode).toBe(200);
    const { trees } = res.json();
    expect(trees.map((t: { name: string }) => t.name)).toEqual(['ports', 'other']);
    expect(trees[0]).toMatchObject({ format: 'deb', distribution: 'bookworm', architectures: ['amd64', 'i386'] });
    expect(trees[0].branches).toEqual([
      {
        name: 'main',
        suite: 'main',
        repositoryUrl: 'https://kiln.example.com/repos/ports/main/',
        snapshot: { number: 2, commit: COMMITS.b, createdAt: '2026-01-02T00:00:00.000Z' },
        lastPush: {
          workflowId: `push/ports/main/${COMMITS.c}`, commit: COMMITS.c, state: 'failed', startedAt: 5_000, finishedAt: 6_000,
          url: `/api/pushes/ports/main/${COMMITS.c}`,
        },
      },
      // Never published nor pushed: no snapshot, no last push.
      { name: 'release/1.x', suite: 'release-1.x', repositoryUrl: 'https://kiln.example.com/repos/ports/release%2F1.x/' },
    ]);
  });

  it('does not show tree URLs (they may hold credentials)', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/api/trees' });
    expect(res.body).not.toContain('/srv/ports');
  });

  it('needs a token when api.readsRequireToken is set', async () => {
    const locked = await restFixture({ readsRequireToken: true });
    const anonymous = await locked.app.inject({ method: 'GET', url: '/api/trees' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('TOKEN_MISSING');
    const wrong = await locked.app.inject({ method: 'GET', url: '/api/trees', headers: { authorization: `Bearer kiln_${'x'.repeat(43)}` } });
    expect(wrong.json().error.code).toBe('TOKEN_INVALID');
    const ok = await locked.app.inject({ method: 'GET', url: '/api/trees', headers: locked.auth });
    expect(ok.statusCode).toBe(200);
  });
});
