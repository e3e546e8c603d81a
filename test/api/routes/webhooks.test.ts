import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../domain/project-paths';
import { routeTestApp, WEBHOOK_SECRET } from '../../helpers/app';

const fixture = (name: string) => fs.readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/webhooks', name));
const hmac = (body: Buffer, secret = WEBHOOK_SECRET) => crypto.createHmac('sha256', secret).update(body).digest('hex');

function github(body: Buffer, event = 'push', signature = `sha256=${hmac(body)}`) {
  return { 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': signature };
}

// HTTP mapping of webhook intake: what starts a push, and every bad input's answer. The real Temporal side of
// intake (dedupe of redeliveries) is covered by test/workflows/push.int.test.ts.
describe('POST /webhooks/:tree', () => {
  it('a signed GitHub push of a configured branch starts the push', async () => {
    const { app, started } = routeTestApp();
    const body = fixture('github-push.json');
    const res = await app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body), payload: body });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'accepted', push: { tree: 'ports', branch: 'main', commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' } });
    expect(started).toHaveLength(1);
  });

  it('a GitLab push with its token starts the push', async () => {
    const { app, started } = routeTestApp();
    const body = fixture('gitlab-push.json');
    const res = await app.inject({
      method: 'POST', url: '/webhooks/ports/gitlab', payload: body,
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': WEBHOOK_SECRET },
    });
    expect(res.statusCode).toBe(202);
    expect(started).toHaveLength(1);
  });

  it('a Gitea push with its HMAC starts the push', async () => {
    const { app, started } = routeTestApp();
    const body = fixture('gitea-push.json');
    const res = await app.inject({
      method: 'POST', url: '/webhooks/ports', payload: body,
      headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-signature': hmac(body) },
    });
    expect(res.statusCode).toBe(202);
    expect(started).toHaveLength(1);
  });

  it.each([
    ['a wrong signature', github(fixture('github-push.json'), 'push', `sha256=${hmac(fixture('github-push.json'), 'wrong')}`), fixture('github-push.json')],
    ['no signature', { 'content-type': 'application/json', 'x-github-event': 'push' }, fixture('github-push.json')],
    ['a body changed after signing', github(fixture('github-push.json')), Buffer.concat([fixture('github-push.json'), Buffer.from(' ')])],
  ])('%s is 401 and starts nothing', async (_what, headers, body) => {
    const { app, started } = routeTestApp();
    const res = await app.inject({ method: 'POST', url: '/webhooks/ports', headers, payload: body });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(started).toEqual([]);
  });

  it('a tree without a webhook secret accepts no webhook', async () => {
    const { app, started } = routeTestApp();
    const body = fixture('github-push.json');
    const res = await app.inject({ method: 'POST', url: '/webhooks/nohook', headers: github(body), payload: body });
    expect(res.statusCode).toBe(401);
    expect(started).toEqual([]);
  });

  it.each([
    ['malformed JSON', Buffer.from('{"ref": "refs/heads/main", ')],
    ['a push without a commit', Buffer.from(JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40) }))],
    ['a commit that is not hex', Buffer.from(JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after: 'z'.repeat(40) }))],
  ])('%s is 400 and starts nothing', async (_what, body) => {
    const { app, started } = routeTestApp();
    const res = await app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body), payload: body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('WEBHOOK_PAYLOAD_INVALID');
    expect(started).toEqual([]);
  });

  it.each([
    ['a ping', 'github-ping.json', 'ping'],
    ['a branch deletion', 'github-branch-delete.json', 'push'],
  ])('%s is a 2xx "ignored" and starts nothing', async (_what, file, event) => {
    const { app, started } = routeTestApp();
    const body = fixture(file);
    const res = await app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, event), payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('ignored');
    expect(started).toEqual([]);
  });

  it('a tag push and a push to an unconfigured branch are ignored', async () => {
    const { app, started } = routeTestApp();
    const tag = fixture('gitlab-tag-push.json');
    const r1 = await app.inject({ method: 'POST', url: '/webhooks/ports', payload: tag, headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': WEBHOOK_SECRET } });
    expect(r1.statusCode).toBe(200);
    const other = Buffer.from(fixture('github-push.json').toString().replace('refs/heads/main', 'refs/heads/experimental'));
    const r2 = await app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(other), payload: other });
    expect(r2.statusCode).toBe(200);
    expect(r2.json()).toMatchObject({ status: 'ignored' });
    expect(r2.json().reason).toMatch(/experimental/);
    expect(started).toEqual([]);
  });

  it('an unknown tree is 404 and an unknown provider 400', async () => {
    const { app, started } = routeTestApp();
    const body = fixture('github-push.json');
    const r1 = await app.inject({ method: 'POST', url: '/webhooks/nope', headers: github(body), payload: body });
    expect(r1.statusCode).toBe(404);
    expect(r1.json().error.code).toBe('TREE_UNKNOWN');
    // Webhook callers are anonymous until their signature is checked: the configured trees are not listed to them.
    expect(r1.body).not.toMatch(/ports|nohook/);
    const r2 = await app.inject({ method: 'POST', url: '/webhooks/ports/bitbucket', headers: github(body), payload: body });
    expect(r2.statusCode).toBe(400);
    expect(started).toEqual([]);
  });
});
