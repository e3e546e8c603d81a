import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMITS, pushStatus, restFixture, seg, writeRecord, type RestFixture } from './rest-fixture';

// GET /api/pushes (from the records on disk) and GET /api/pushes/<tree>/<branch>/<commit> (live, else the record).

let f: RestFixture;
const main = { tree: 'ports', branch: 'main' };
const release = { tree: 'ports', branch: 'release/1.x' };

beforeAll(async () => {
  f = await restFixture();
  writeRecord(f.layout, pushStatus({ ...main, commit: COMMITS.a }, { startedAt: 1_000 }));
  writeRecord(f.layout, pushStatus({ ...main, commit: COMMITS.b }, { startedAt: 2_000, state: 'superseded', supersededBy: `push/ports/main/${COMMITS.c}` }));
  writeRecord(f.layout, pushStatus({ ...main, commit: COMMITS.c }, { startedAt: 4_000, state: 'failed', finishedAt: 4_500 }));
  writeRecord(f.layout, pushStatus({ ...release, commit: COMMITS.a }, { startedAt: 3_000 }));
  writeRecord(f.layout, pushStatus({ tree: 'other', branch: 'main', commit: COMMITS.d }, { startedAt: 5_000, state: 'cancelled' }));
  // Beside the records: a plan, a write in progress, and a branch that is not configured. None is a push to list.
  const dir = path.dirname(f.layout.pushRecord({ ...main, commit: COMMITS.a }));
  fs.writeFileSync(path.join(dir, `${COMMITS.d}.plan.json`), '{"push": {}}');
  fs.writeFileSync(path.join(dir, `.${COMMITS.d}.json.123.abcd.tmp`), '{');
  writeRecord(f.layout, pushStatus({ tree: 'ports', branch: 'stray', commit: COMMITS.a }, { startedAt: 9_000 }));
});

const list = async (query = '') => f.app.inject({ method: 'GET', url: `/api/pushes${query}` });

describe('GET /api/pushes', () => {
  it('lists the records of configured branches, newest first', async () => {
    const res = await list();
    expect(res.statusCode).toBe(200);
    const { pushes, nextCursor } = res.json();
    expect(nextCursor).toBeUndefined();
    expect(pushes.map((p: { workflowId: string }) => p.workflowId)).toEqual([
      `push/other/main/${COMMITS.d}`,
      `push/ports/main/${COMMITS.c}`,
      `push/ports/release/1.x/${COMMITS.a}`,
      `push/ports/main/${COMMITS.b}`,
      `push/ports/main/${COMMITS.a}`,
    ]);
    expect(pushes[1]).toEqual({
      workflowId: `push/ports/main/${COMMITS.c}`, tree: 'ports', branch: 'main', commit: COMMITS.c, state: 'failed',
      requestedBy: 'webhook', startedAt: 4_000, finishedAt: 4_500, recordedAt: new Date(4_500).toISOString(),
      builds: { total: 2, waiting: 0, building: 0, succeeded: 2, failed: 0, cancelled: 0, blocked: 0 },
      publish: { outcome: 'published', snapshot: 1 },
      url: `/api/pushes/ports/main/${COMMITS.c}`,
    });
    expect(pushes[2].url).toBe(`/api/pushes/ports/release%2F1.x/${COMMITS.a}`);
  });

  it('filters by tree, branch and state', async () => {
    const ids = async (q: string) => (await list(q)).json().pushes.map((p: { commit: string; branch: string }) => `${p.branch}@${p.commit[0]}`);
    expect(await ids('?tree=ports')).toEqual(['main@c', 'release/1.x@a', 'main@b', 'main@a']);
    expect(await ids('?tree=ports&branch=release%2F1.x')).toEqual(['release/1.x@a']);
    expect(await ids('?state=succeeded')).toEqual(['release/1.x@a', 'main@a']);
    expect(await ids('?tree=ports&branch=main&state=superseded')).toEqual(['main@b']);
  });

  it('pages with an opaque cursor, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.pushes.length).toBeLessThanOrEqual(2);
      seen.push(...body.pushes.map((p: { workflowId: string }) => p.workflowId));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual((await list()).json().pushes.map((p: { workflowId: string }) => p.workflowId));
  });

  it('sees a record change (a push that moved on)', async () => {
    const push = { ...release, commit: COMMITS.b };
    writeRecord(f.layout, pushStatus(push, { state: 'building', startedAt: 100 }));
    expect((await list('?tree=ports&branch=release%2F1.x')).json().pushes.map((p: { state: string }) => p.state)).toEqual(['succeeded', 'building']);
    writeRecord(f.layout, pushStatus(push, { state: 'failed', startedAt: 100, finishedAt: 50_000 }));
    expect((await list('?tree=ports&branch=release%2F1.x')).json().pushes.map((p: { state: string }) => p.state)).toEqual(['succeeded', 'failed']);
    fs.rmSync(f.layout.pushRecord(push));
    expect((await list('?tree=ports&branch=release%2F1.x')).json().pushes).toHaveLength(1);
  });

  it.each([
    ['?limit=0'], ['?limit=501'], ['?limit=many'], ['?state=exploded'], ['?cursor=not-a-cursor'],
    [`?cursor=${Buffer.from('[1]').toString('base64url')}`], ['?tree=Bad%20Name'], ['?colour=blue'], ['?branch=main'],
  ])('answers %s with 400 REQUEST_INVALID', async (query) => {
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('REQUEST_INVALID');
  });

  it.each([
    ['?tree=nope', 'TREE_UNKNOWN'],
    ['?tree=ports&branch=stray', 'BRANCH_UNKNOWN'],
  ])('answers %s with 404 %s', async (query, code) => {
    const res = await list(query);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe(code);
  });
});

describe('GET /api/pushes/<tree>/<branch>/<commit>', () => {
  const get = (tree: string, branch: string, commit: string) => f.app.inject({ method: 'GET', url: `/api/pushes/${tree}/${seg(branch)}/${commit}` });

  it('answers a finished push from its record, with every build, its log and the Temporal UI', async () => {
    const res = await get('ports', 'main', COMMITS.a);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const workflowId = `push/ports/main/${COMMITS.a}`;
    expect(body).toMatchObject({
      workflowId, tree: 'ports', branch: 'main', commit: COMMITS.a, state: 'succeeded', source: 'record', running: false,
      requestedBy: 'webhook', startedAt: 1_000, finishedAt: 9_000,
      plan: { builds: 2, unchanged: 0, deleted: [], errors: [] },
      buildCounts: { total: 2, succeeded: 2 },
      publish: { outcome: 'published', snapshot: 1, targets: [] },
      url: `/api/pushes/ports/main/${COMMITS.a}`,
      temporalUrl: `http://temporal.example.com:8233/namespaces/kiln/workflows/${encodeURIComponent(workflowId)}`,
    });
    expect(body.arches).toEqual([
      { arch: 'amd64', workflowId: `${workflowId}/amd64`, state: 'succeeded' },
      { arch: 'i386', workflowId: `${workflowId}/i386`, state: 'succeeded' },
    ]);
    expect(body.builds).toEqual(['amd64', 'i386'].map((arch) => ({
      id: `hello/${arch}`, source: 'hello', version: '1.0-1', arch, state: 'succeeded', attempt: 1, startedAt: 2_000, finishedAt: 5_000,
      durationMs: 3_000, key: `key-${arch}`, cached: false, logUrl: `/api/logs/ports/main/${COMMITS.a}/hello/${arch}`,
    })));
  });

  it('asks a running push live', async () => {
    const push = { ...release, commit: COMMITS.c };
    const live = pushStatus(push, {
      state: 'building', finishedAt: undefined, publish: undefined,
      builds: [{ id: 'hello/amd64', source: 'hello', version: '2.0-1', arch: 'amd64', state: 'building', attempt: 2, startedAt: 7_000, log: 'x' }],
    });
    f.control.live.set(live.workflowId, live);
    try {
      const res = await get('ports', 'release/1.x', COMMITS.c);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ source: 'live', running: true, state: 'building', buildCounts: { total: 1, building: 1 } });
      expect(res.json().builds[0]).toEqual({
        id: 'hello/amd64', source: 'hello', version: '2.0-1', arch: 'amd64', state: 'building', attempt: 2, startedAt: 7_000,
        logUrl: `/api/logs/ports/release%2F1.x/${COMMITS.c}/hello/amd64`,
      });
      expect(f.control.callsOf('liveStatus')).toContainEqual([live.workflowId]);
    } finally {
      f.control.live.delete(live.workflowId);
    }
  });

  it('falls back to the record when Temporal does not answer, saying so', async () => {
    f.control.liveError = new Error('deadline exceeded');
    try {
      const failed = (await get('ports', 'main', COMMITS.c)).json();
      expect(failed).toMatchObject({ source: 'record', running: true, state: 'failed', liveError: 'deadline exceeded' });
      const done = (await get('ports', 'main', COMMITS.a)).json();
      expect(done).toMatchObject({ source: 'record', running: false, state: 'succeeded' });
    } finally {
      f.control.liveError = undefined;
    }
  });

  it('works without a Temporal client, from records', async () => {
    const bare = await restFixture({ control: false });
    writeRecord(bare.layout, pushStatus({ ...main, commit: COMMITS.a }));
    const res = await bare.app.inject({ method: 'GET', url: `/api/pushes/ports/main/${COMMITS.a}` });
    expect(res.json()).toMatchObject({ source: 'record', running: false });
  });

  it.each([
    ['ports', 'main', COMMITS.d, 404, 'PUSH_UNKNOWN'],
    ['nope', 'main', COMMITS.a, 404, 'TREE_UNKNOWN'],
    ['ports', 'stray', COMMITS.a, 404, 'BRANCH_UNKNOWN'],
    ['ports', 'main', 'abc123', 400, 'REQUEST_INVALID'],
    ['ports', 'main', 'A'.repeat(40), 400, 'REQUEST_INVALID'],
    ['PORTS', 'main', COMMITS.a, 400, 'REQUEST_INVALID'],
  ])('/api/pushes/%s/%s/%s is %i %s', async (tree, branch, commit, status, code) => {
    const res = await get(tree, branch, commit);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
  });

  it('does not take an unencoded branch slash as the branch', async () => {
    const res = await f.app.inject({ method: 'GET', url: `/api/pushes/ports/release/1.x/${COMMITS.a}` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });
});
