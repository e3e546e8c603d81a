import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMITS, form, OTHER_TOKEN, RECORDS, signIn, TOKEN, uiFixture, type UiFixture } from './ui-fixture';

let f: UiFixture;
beforeAll(async () => { f = await uiFixture(); });
afterAll(async () => { await f.close(); });

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const failedPush = `/pushes/ports/main/${COMMITS.failed}`;
const post = (url: string, payload: string, headers: Record<string, string> = {}) =>
  f.app.inject({ method: 'POST', url, payload, headers: { ...FORM, ...headers } });

describe('signing in', () => {
  it('refuses a token the verifier does not know, and stores nothing', async () => {
    const res = await post('/login', form({ token: OTHER_TOKEN, next: '/' }));
    expect(res.statusCode).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body).toContain('That API token is not valid');
    expect(res.body).not.toContain(OTHER_TOKEN);
  });

  it('keeps a valid token in an HttpOnly, SameSite=Strict cookie and goes back where it was', async () => {
    const res = await post('/login', form({ token: TOKEN, next: `${failedPush}?x=1` }));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${failedPush}?x=1`);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^kiln_session=kiln_a+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const page = await f.app.inject({ method: 'GET', url: '/', headers: { cookie: cookie.split(';')[0] } });
    expect(page.body).toContain('data-testid="operator">alice<');
    expect(page.body).not.toContain(TOKEN);
  });

  it('refuses what is not a token before asking the verifier (no cookie injection)', async () => {
    const res = await post('/login', form({ token: `${TOKEN}; Domain=evil.example` }));
    expect(res.statusCode).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('never sends the browser to another site after signing in', async () => {
    const res = await post('/login', form({ token: TOKEN, next: '//evil.example/x' }));
    expect(res.headers.location).toBe('/');
  });

  it('refuses a sign-in form sent from another site', async () => {
    const res = await post('/login', form({ token: TOKEN }), { origin: 'https://evil.example' });
    expect(res.statusCode).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('treats a cookie whose token was revoked as signed out', async () => {
    const page = await f.app.inject({ method: 'GET', url: failedPush, headers: { cookie: `kiln_session=${OTHER_TOKEN}` } });
    expect(page.body).not.toContain('data-testid="operator"');
    expect(page.body).not.toMatch(/data-testid="retry-/);
  });

  it('signs out', async () => {
    const { cookie, csrf } = await signIn(f.app);
    const res = await post('/logout', form({ _csrf: csrf }), { cookie });
    expect(res.statusCode).toBe(303);
    expect(String(res.headers['set-cookie'])).toMatch(/^kiln_session=; .*Max-Age=0/);
  });
});

describe('operator buttons', () => {
  it('are shown to a signed-in operator only, on what they apply to', async () => {
    const { cookie } = await signIn(f.app);
    const push = (await f.app.inject({ method: 'GET', url: failedPush, headers: { cookie } })).body;
    expect(push).toContain('data-testid="retry-push"');
    expect(push).toContain('data-testid="cancel-push"');
    expect(push).toContain('data-testid="retry-hello-amd64"');
    expect(push).not.toContain('data-testid="retry-hello-i386"');
    const repo = (await f.app.inject({ method: 'GET', url: '/repositories/ports/main', headers: { cookie } })).body;
    expect(repo).toContain('data-testid="rollback-1"');
    expect(repo).not.toContain('data-testid="rollback-2"'); // the current one
    const done = (await f.app.inject({ method: 'GET', url: `/pushes/ports/main/${COMMITS.published}`, headers: { cookie } })).body;
    expect(done).not.toMatch(/data-testid="(retry|cancel)-/);
  });

  it('are gone while a push winds down after a cancel (a retry then would be accepted and do nothing)', async () => {
    const { cookie } = await signIn(f.app);
    const id = RECORDS.failed.workflowId;
    try {
      for (const state of ['cancelling', 'cancelled'] as const) {
        f.live.set(id, { ...RECORDS.failed, state });
        const push = (await f.app.inject({ method: 'GET', url: failedPush, headers: { cookie } })).body;
        expect(push).toContain('data-running="true"');
        expect(push).not.toMatch(/data-testid="(retry|cancel)-/);
      }
    } finally {
      f.live.set(id, RECORDS.failed);
    }
  });
});

describe('actions', () => {
  it('refuse a form without a session: 401, nothing sent', async () => {
    const before = f.calls.length;
    for (const url of [`${failedPush}/retry`, `${failedPush}/cancel`, '/repositories/ports/main/rollback']) {
      const res = await post(url, form({ _csrf: 'x' }));
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('SIGN_IN_REQUIRED');
      expect(res.body).toContain(`href="/login?next=`);
    }
    expect(f.calls.length).toBe(before);
  });

  it('refuse a form without the CSRF value, or from another site: 403, nothing sent', async () => {
    const { cookie, csrf } = await signIn(f.app);
    const before = f.calls.length;
    expect((await post(`${failedPush}/retry`, form({}), { cookie })).statusCode).toBe(403);
    expect((await post(`${failedPush}/retry`, form({ _csrf: `${csrf.slice(1)}x` }), { cookie })).statusCode).toBe(403);
    expect((await post(`${failedPush}/cancel`, form({ _csrf: csrf }), { cookie, origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await post(`${failedPush}/cancel`, form({ _csrf: csrf }), { cookie, 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect(f.calls.length).toBe(before);
  });

  it('retry one build through the API, as the operator, then show the push', async () => {
    const { cookie, csrf } = await signIn(f.app);
    const res = await post(`${failedPush}/retry`, form({ _csrf: csrf, source: 'hello', arch: 'amd64' }), { cookie, origin: 'http://127.0.0.1:8080' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${failedPush}?done=retry`);
    expect(f.calls.at(-1)).toEqual({ kind: 'retry', workflowId: `push/ports/main/${COMMITS.failed}`, request: { source: 'hello', arch: 'amd64' } });
    const page = await f.app.inject({ method: 'GET', url: res.headers.location as string, headers: { cookie } });
    expect(page.body).toContain('Retry requested');
  });

  it('retry the whole push and cancel it', async () => {
    const { cookie, csrf } = await signIn(f.app);
    expect((await post(`${failedPush}/retry`, form({ _csrf: csrf }), { cookie })).statusCode).toBe(303);
    expect(f.calls.at(-1)).toEqual({ kind: 'retry', workflowId: `push/ports/main/${COMMITS.failed}`, request: {} });
    const res = await post(`${failedPush}/cancel`, form({ _csrf: csrf }), { cookie });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${failedPush}?done=cancel`);
    expect(f.calls.at(-1)).toEqual({ kind: 'cancel', workflowId: `push/ports/main/${COMMITS.failed}`, reason: 'cancelled in the web UI by alice' });
  });

  it('roll back to a snapshot', async () => {
    const { cookie, csrf } = await signIn(f.app);
    const res = await post('/repositories/ports/main/rollback', form({ _csrf: csrf, to: '1' }), { cookie });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/repositories/ports/main?done=rollback');
    expect(f.calls.at(-1)).toEqual({ kind: 'rollback', input: { tree: 'ports', branch: 'main', to: 1 } });
    expect((await post('/repositories/ports/main/rollback', form({ _csrf: csrf, to: 'x' }), { cookie })).statusCode).toBe(400);
  });

  it('show the API\'s refusal as a page: a finished push cannot be retried', async () => {
    const { cookie, csrf } = await signIn(f.app);
    const res = await post(`/pushes/ports/main/${COMMITS.published}/retry`, form({ _csrf: csrf }), { cookie });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<code>PUSH_NOT_RUNNING</code>');
    const bad = await post(`${failedPush}/retry`, form({ _csrf: csrf, arch: 'arm64' }), { cookie });
    expect(bad.statusCode).toBe(400);
  });
});

describe('when reads need a token', () => {
  it('pages and badges ask a visitor to sign in; a signed-in operator reads', async () => {
    const locked = await uiFixture({ readsRequireToken: true });
    try {
      for (const url of ['/', '/pushes', failedPush, '/repositories/ports/main', '/events', `/ui/events/pushes/ports/main/${COMMITS.failed}`]) {
        expect((await locked.app.inject({ method: 'GET', url })).statusCode).toBe(401);
      }
      expect((await locked.app.inject({ method: 'GET', url: '/badge/ports/main.svg' })).statusCode).toBe(401);
      expect((await locked.app.inject({ method: 'GET', url: '/login' })).statusCode).toBe(200);
      const { cookie } = await signIn(locked.app);
      expect((await locked.app.inject({ method: 'GET', url: failedPush, headers: { cookie } })).statusCode).toBe(200);
    } finally {
      await locked.close();
    }
  });
});
