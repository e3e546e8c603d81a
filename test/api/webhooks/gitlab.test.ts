import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../../api/webhooks';
import { expectKilnError } from './expect-kiln-error';
import { fixture, fixtureWith, request, signedHeaders } from './requests';

const send = (body: Buffer, event = 'Push Hook') => handleWebhook(request(body, signedHeaders('gitlab', body, event)));

describe('GitLab push hooks', () => {
  it('normalizes a push', () => {
    expect(send(fixture('gitlab-push.json'))).toEqual({
      kind: 'push',
      branch: 'main',
      commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
      repositoryUrl: 'https://gitlab.example.com/mike/ports.git',
      pusher: 'jsmith',
    });
  });

  it('ignores tag pushes', () => {
    const result = send(fixture('gitlab-tag-push.json'), 'Tag Push Hook');
    expect(result).toEqual({ kind: 'ignored', reason: expect.stringContaining('Tag Push Hook') });
  });

  it('ignores a tag ref even when sent as a Push Hook', () => {
    expect(send(fixture('gitlab-tag-push.json'))).toEqual({ kind: 'ignored', reason: expect.stringContaining('refs/tags/v1.0.0') });
  });

  it('ignores branch deletions (after is all zeros)', () => {
    expect(send(fixture('gitlab-branch-delete.json'))).toEqual({ kind: 'ignored', reason: expect.stringMatching(/"main" was deleted/) });
  });

  it('ignores other event types', () => {
    expect(send(fixture('gitlab-push.json'), 'Merge Request Hook')).toEqual({
      kind: 'ignored', reason: expect.stringContaining('"Merge Request Hook" events do not start builds'),
    });
  });

  it('ignores branches the tree does not build', () => {
    const body = fixtureWith('gitlab-push.json', { ref: 'refs/heads/feature/x' });
    expect(send(body)).toEqual({ kind: 'ignored', reason: expect.stringMatching(/"feature\/x" is not built by this tree/) });
  });

  it('keeps slashes in branch names', () => {
    const body = fixtureWith('gitlab-push.json', { ref: 'refs/heads/release/1.x' });
    expect(send(body)).toMatchObject({ kind: 'push', branch: 'release/1.x' });
  });

  it('falls back to user_name when user_username is absent', () => {
    const body = fixtureWith('gitlab-push.json', { user_username: undefined });
    expect(send(body)).toMatchObject({ pusher: 'John Smith' });
  });

  it('a missing X-Gitlab-Event header is a bad request', () => {
    const body = fixture('gitlab-push.json');
    const headers = signedHeaders('gitlab', body);
    delete headers['x-gitlab-event'];
    expectKilnError(() => handleWebhook(request(body, headers, { provider: 'gitlab' })), 'WEBHOOK_PAYLOAD_INVALID', /X-Gitlab-Event header is missing/);
  });
});
