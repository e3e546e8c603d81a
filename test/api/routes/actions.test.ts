import { beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken, tokenFile } from '../../../api/auth/token-file';
import { KilnError } from '../../../domain/errors';
import { COMMITS, pushStatus, restFixture, seg, switchCurrent, writeRecord, writeSnapshot, type RestFixture } from './rest-fixture';

// The actions (POST): start a push, cancel, retry, roll back. Tokens first, then validation, then the fake Temporal.

let f: RestFixture;
const running = { tree: 'ports', branch: 'release/1.x', commit: COMMITS.b };
const finished = { tree: 'ports', branch: 'main', commit: COMMITS.a };

beforeAll(async () => {
  f = await restFixture();
  const live = pushStatus(running, { state: 'failed', finishedAt: undefined });
  f.control.live.set(live.workflowId, live);
  writeRecord(f.layout, live);
  writeRecord(f.layout, pushStatus(finished));
  writeSnapshot(f.layout, 'ports', 'main', { number: 1, sources: { hello: '1' } });
  writeSnapshot(f.layout, 'ports', 'main', { number: 2, base: 1, sources: { hello: '2' } });
  switchCurrent(f.layout, 'ports', 'main', 2);
  writeSnapshot(f.layout, 'ports', 'release/1.x', { number: 1, sources: { hello: '1' } });
  switchCurrent(f.layout, 'ports', 'release/1.x', 1);
});

const post = (url: string, body?: unknown, headers: Record<string, string> = f.auth) =>
  f.app.inject({ method: 'POST', url, headers, ...(body === undefined ? {} : { payload: body as object }) });
const pushUrl = (p: { tree: string; branch: string; commit: string }, action: string) => `/api/pushes/${p.tree}/${seg(p.branch)}/${p.commit}/${action}`;

const ACTIONS: Array<[string, string, unknown]> = [
  ['start a push', '/api/pushes', { tree: 'ports', branch: 'main', commit: COMMITS.c }],
  ['cancel', pushUrl(running, 'cancel'), {}],
  ['retry', pushUrl(running, 'retry'), {}],
  ['roll back', '/api/repos/ports/main/rollback', {}],
];

describe('tokens', () => {
  it.each(ACTIONS)('%s needs a token: 401 TOKEN_MISSING, before looking at the body', async (_what, url) => {
    const res = await post(url, { not: 'even valid' }, {});
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('TOKEN_MISSING');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="kiln"');
  });

  it.each([
    ['a wrong token', `Bearer kiln_${'A'.repeat(43)}`],
    ['a token of another shape', 'Bearer hunter2'],
    ['another scheme', `Basic ${Buffer.from('ci:x').toString('base64')}`],
    ['a bearer without a token', 'Bearer '],
    ['two tokens', 'Bearer kiln_first kiln_second'],
  ])('%s is 401 TOKEN_INVALID, and the answer never echoes it', async (_what, authorization) => {
    for (const [, url, body] of ACTIONS) {
      const res = await post(url, body, { authorization });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('TOKEN_INVALID');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="kiln", error="invalid_token"');
      for (const part of authorization.split(' ').slice(1).filter((p) => p.length > 3)) expect(res.body).not.toContain(part);
    }
  });

  it('takes the token file as it is now: new tokens work, revoked ones stop working', async () => {
    const file = tokenFile(f.dataDir);
    const { token } = await createToken(file, 'laptop');
    const auth = { authorization: `Bearer ${token}` };
    expect((await post(pushUrl(running, 'retry'), {}, auth)).statusCode).toBe(202);
    await revokeToken(file, 'laptop');
    expect((await post(pushUrl(running, 'retry'), {}, auth)).json().error.code).toBe('TOKEN_INVALID');
    expect((await post(pushUrl(running, 'retry'), {})).statusCode).toBe(202);
  });

  it('accepts a lowercase scheme', async () => {
    expect((await post(pushUrl(running, 'retry'), {}, { authorization: `bearer ${f.token}` })).statusCode).toBe(202);
  });
});

describe('POST /api/pushes', () => {
  it('starts a push of the commit given, as the token\'s holder', async () => {
    const res = await post('/api/pushes', { tree: 'ports', branch: 'release/1.x', commit: COMMITS.c });
    expect(res.statusCode).toBe(202);
    const workflowId = `push/ports/release/1.x/${COMMITS.c}`;
    expect(res.json()).toEqual({
      status: 'accepted',
      push: { tree: 'ports', branch: 'release/1.x', commit: COMMITS.c },
      workflowId,
      url: `/api/pushes/ports/release%2F1.x/${COMMITS.c}`,
      temporalUrl: `http://temporal.example.com:8233/namespaces/kiln/workflows/${encodeURIComponent(workflowId)}`,
    });
    expect(f.started[f.started.length - 1]).toEqual({ push: { tree: 'ports', branch: 'release/1.x', commit: COMMITS.c }, requestedBy: 'api:ci' });
  });

  it('pushes the branch head when no commit is given', async () => {
    const res = await post('/api/pushes', { tree: 'ports', branch: 'main' });
    expect(res.statusCode).toBe(202);
    expect(res.json().push.commit).toBe(COMMITS.head);
    expect(f.control.callsOf('branchHead')).toContainEqual(['ports', 'main']);
  });

  it('passes on why the head cannot be read', async () => {
    f.control.headError = new KilnError('TREE_UNREACHABLE', 'cannot read /srv/ports');
    try {
      const res = await post('/api/pushes', { tree: 'ports', branch: 'main' });
      expect(res.statusCode).toBe(502);
      expect(res.json().error.code).toBe('TREE_UNREACHABLE');
    } finally {
      f.control.headError = undefined;
    }
  });

  it.each([
    ['no body', undefined],
    ['an empty object', {}],
    ['no branch', { tree: 'ports' }],
    ['an unknown field', { tree: 'ports', branch: 'main', force: true }],
    ['a short commit', { tree: 'ports', branch: 'main', commit: 'abc123' }],
    ['a commit that is a number', { tree: 'ports', branch: 'main', commit: 42 }],
    ['a list', [{ tree: 'ports', branch: 'main' }]],
    ['an empty branch', { tree: 'ports', branch: '' }],
  ])('refuses %s with 400 REQUEST_INVALID', async (_what, body) => {
    const res = await post('/api/pushes', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('REQUEST_INVALID');
  });

  it('refuses a body that is not JSON', async () => {
    const res = await f.app.inject({ method: 'POST', url: '/api/pushes', headers: { ...f.auth, 'content-type': 'application/json' }, payload: '{"tree": ' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('REQUEST_INVALID');
  });

  it.each([
    [{ tree: 'nope', branch: 'main' }, 'TREE_UNKNOWN'],
    [{ tree: 'ports', branch: 'stray' }, 'BRANCH_UNKNOWN'],
  ])('answers %j with 404 %s', async (body, code) => {
    const res = await post('/api/pushes', body);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe(code);
  });

  it('without a Temporal client, needs the commit', async () => {
    const bare = await restFixture({ control: false });
    const res = await bare.app.inject({ method: 'POST', url: '/api/pushes', headers: bare.auth, payload: { tree: 'ports', branch: 'main' } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('TEMPORAL_UNAVAILABLE');
    const given = await bare.app.inject({ method: 'POST', url: '/api/pushes', headers: bare.auth, payload: { tree: 'ports', branch: 'main', commit: COMMITS.d } });
    expect(given.statusCode).toBe(202);
  });
});

describe('POST .../cancel and .../retry', () => {
  it('cancels a running push, with or without a reason', async () => {
    const workflowId = `push/ports/release/1.x/${COMMITS.b}`;
    const plain = await post(pushUrl(running, 'cancel'));
    expect(plain.statusCode).toBe(202);
    expect(plain.json()).toMatchObject({ status: 'accepted', workflowId, url: `/api/pushes/ports/release%2F1.x/${COMMITS.b}` });
    expect(f.control.callsOf('cancel').pop()).toEqual([workflowId, 'cancelled through the API by ci']);
    expect((await post(pushUrl(running, 'cancel'), { reason: 'wrong branch' })).statusCode).toBe(202);
    expect(f.control.callsOf('cancel').pop()).toEqual([workflowId, 'wrong branch']);
  });

  it('retries everything failed, or one package and/or arch', async () => {
    const workflowId = `push/ports/release/1.x/${COMMITS.b}`;
    expect((await post(pushUrl(running, 'retry'))).statusCode).toBe(202);
    expect(f.control.callsOf('retry').pop()).toEqual([workflowId, {}]);
    expect((await post(pushUrl(running, 'retry'), { source: 'hello', arch: 'i386' })).statusCode).toBe(202);
    expect(f.control.callsOf('retry').pop()).toEqual([workflowId, { source: 'hello', arch: 'i386' }]);
  });

  it.each(['cancel', 'retry'])('%s of a finished push is 409 PUSH_NOT_RUNNING, of an unknown one 404 PUSH_UNKNOWN', async (action) => {
    const done = await post(pushUrl(finished, action), {});
    expect(done.statusCode).toBe(409);
    expect(done.json().error.code).toBe('PUSH_NOT_RUNNING');
    const unknown = await post(pushUrl({ ...finished, commit: COMMITS.d }, action), {});
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('PUSH_UNKNOWN');
  });

  it.each([
    ['cancel', pushUrl({ ...running, commit: 'HEAD' }, 'cancel'), {}, 400, 'REQUEST_INVALID'],
    ['cancel', pushUrl(running, 'cancel'), { reason: 7 }, 400, 'REQUEST_INVALID'],
    ['cancel', pushUrl(running, 'cancel'), { reason: 'x', now: true }, 400, 'REQUEST_INVALID'],
    ['retry', pushUrl(running, 'retry'), { arch: 'arm64' }, 400, 'REQUEST_INVALID'],
    ['retry', pushUrl(running, 'retry'), { source: '../etc' }, 400, 'REQUEST_INVALID'],
    ['retry', pushUrl(running, 'retry'), { package: 'hello' }, 400, 'REQUEST_INVALID'],
    ['retry', pushUrl({ ...running, tree: 'nope' }, 'retry'), {}, 404, 'TREE_UNKNOWN'],
    ['retry', pushUrl({ ...running, branch: 'stray' }, 'retry'), {}, 404, 'BRANCH_UNKNOWN'],
  ])('%s %s %j: %i %s', async (_action, url, body, status, code) => {
    const res = await post(url, body);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
  });
});

describe('POST /api/repos/<tree>/<branch>/rollback', () => {
  it('rolls back to the snapshot before the current one by default', async () => {
    const res = await post('/api/repos/ports/main/rollback');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      status: 'accepted', workflowId: 'rollback/ports/main/test', url: '/api/repos/ports/main/rollbacks/test',
      temporalUrl: `http://temporal.example.com:8233/namespaces/kiln/workflows/${encodeURIComponent('rollback/ports/main/test')}`,
    });
    expect(f.control.callsOf('rollback').pop()).toEqual([{ tree: 'ports', branch: 'main', to: undefined }]);
  });

  it('rolls back to the snapshot asked for', async () => {
    expect((await post('/api/repos/ports/main/rollback', { to: 1 })).statusCode).toBe(202);
    expect(f.control.callsOf('rollback').pop()).toEqual([{ tree: 'ports', branch: 'main', to: 1 }]);
  });

  it.each([
    ['main', { to: 7 }, 404, 'SNAPSHOT_UNKNOWN'],
    ['release%2F1.x', {}, 404, 'SNAPSHOT_UNKNOWN'],
    ['main', { to: 0 }, 400, 'REQUEST_INVALID'],
    ['main', { to: 'two' }, 400, 'REQUEST_INVALID'],
    ['main', { to: 1, force: true }, 400, 'REQUEST_INVALID'],
    ['stray', {}, 404, 'BRANCH_UNKNOWN'],
  ])('branch %s, %j: %i %s', async (branch, body, status, code) => {
    const calls = f.control.callsOf('rollback').length;
    const res = await post(`/api/repos/ports/${branch}/rollback`, body);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(f.control.callsOf('rollback')).toHaveLength(calls);
  });

  it('without a Temporal client is 503 TEMPORAL_UNAVAILABLE', async () => {
    const bare = await restFixture({ control: false });
    writeSnapshot(bare.layout, 'ports', 'main', { number: 1, sources: { hello: '1' } });
    const res = await bare.app.inject({ method: 'POST', url: '/api/repos/ports/main/rollback', headers: bare.auth, payload: { to: 1 } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('TEMPORAL_UNAVAILABLE');
  });
});
