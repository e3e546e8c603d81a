import { beforeAll, describe, expect, it } from 'vitest';
import { restFixture, seg, switchCurrent, writeSnapshot, type RestFixture } from './rest-fixture';

// GET /api/repos/<tree>/<branch>/rollbacks/<id>: how a rollback went, as the (fake) Temporal says; the URL the
// rollback action answers with.

let f: RestFixture;

beforeAll(async () => {
  f = await restFixture();
  writeSnapshot(f.layout, 'ports', 'main', { number: 1, sources: { hello: '1' } });
  writeSnapshot(f.layout, 'ports', 'main', { number: 2, base: 1, sources: { hello: '2' } });
  switchCurrent(f.layout, 'ports', 'main', 2);
  f.control.rollbacks.set('rollback/ports/main/running-1', { state: 'running' });
  f.control.rollbacks.set('rollback/ports/main/done-1', {
    state: 'succeeded', result: { outcome: 'published', snapshot: 3, commit: 'a'.repeat(40), targets: [] },
  });
  f.control.rollbacks.set('rollback/ports/release/1.x/failed-1', {
    state: 'failed', error: { type: 'SNAPSHOT_UNKNOWN', message: 'snapshot 9 of ports/release/1.x is gone' },
  });
});

const get = (url: string) => f.app.inject({ method: 'GET', url });

describe('GET /api/repos/<tree>/<branch>/rollbacks/<id>', () => {
  it('is the URL the rollback action answers with', async () => {
    const posted = await f.app.inject({ method: 'POST', url: '/api/repos/ports/main/rollback', headers: f.auth });
    expect(posted.statusCode).toBe(202);
    expect(posted.json().url).toBe('/api/repos/ports/main/rollbacks/test');
    f.control.rollbacks.set('rollback/ports/main/test', { state: 'running' });
    const res = await get(posted.json().url);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ workflowId: 'rollback/ports/main/test', id: 'test', state: 'running' });
    expect(f.control.callsOf('rollbackOutcome').pop()).toEqual(['rollback/ports/main/test']);
  });

  it('says what a rollback that succeeded published', async () => {
    const res = await get('/api/repos/ports/main/rollbacks/done-1');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      workflowId: 'rollback/ports/main/done-1', tree: 'ports', branch: 'main', id: 'done-1', state: 'succeeded',
      result: { outcome: 'published', snapshot: 3, commit: 'a'.repeat(40), targets: [] },
      url: '/api/repos/ports/main/rollbacks/done-1',
      temporalUrl: `http://temporal.example.com:8233/namespaces/kiln/workflows/${encodeURIComponent('rollback/ports/main/done-1')}`,
    });
  });

  it('says why a rollback failed, on a branch with a slash', async () => {
    const res = await get(`/api/repos/ports/${seg('release/1.x')}/rollbacks/failed-1`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      workflowId: 'rollback/ports/release/1.x/failed-1', branch: 'release/1.x', state: 'failed',
      error: { type: 'SNAPSHOT_UNKNOWN', message: 'snapshot 9 of ports/release/1.x is gone' },
      url: '/api/repos/ports/release%2F1.x/rollbacks/failed-1',
    });
  });

  it.each([
    ['an unknown rollback', '/api/repos/ports/main/rollbacks/nope', 404, 'ROLLBACK_UNKNOWN'],
    ['a rollback of another branch', `/api/repos/ports/${seg('release/1.x')}/rollbacks/done-1`, 404, 'ROLLBACK_UNKNOWN'],
    ['a malformed id', '/api/repos/ports/main/rollbacks/bad.id', 400, 'REQUEST_INVALID'],
    ['an id with a slash', `/api/repos/ports/main/rollbacks/${seg('a/b')}`, 400, 'REQUEST_INVALID'],
    ['an unknown tree', '/api/repos/nope/main/rollbacks/done-1', 404, 'TREE_UNKNOWN'],
    ['an unknown branch', '/api/repos/ports/stray/rollbacks/done-1', 404, 'BRANCH_UNKNOWN'],
  ])('answers %s with %i %s', async (_what, url, status, code) => {
    const res = await get(url);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
  });

  it('without a Temporal client is 503 TEMPORAL_UNAVAILABLE', async () => {
    const bare = await restFixture({ control: false });
    const res = await bare.app.inject({ method: 'GET', url: '/api/repos/ports/main/rollbacks/done-1' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('TEMPORAL_UNAVAILABLE');
  });

  it('needs a token when reads do', async () => {
    const closed = await restFixture({ readsRequireToken: true });
    closed.control.rollbacks.set('rollback/ports/main/done-1', { state: 'running' });
    expect((await closed.app.inject({ method: 'GET', url: '/api/repos/ports/main/rollbacks/done-1' })).statusCode).toBe(401);
    expect((await closed.app.inject({ method: 'GET', url: '/api/repos/ports/main/rollbacks/done-1', headers: closed.auth })).statusCode).toBe(200);
  });
});
