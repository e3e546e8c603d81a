import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../../api/webhooks';
import { fixture, fixtureWith, request, signedHeaders } from './requests';

const send = (body: Buffer, event = 'push') => handleWebhook(request(body, signedHeaders('github', body, event)));

describe('GitHub push events', () => {
  it('normalizes a push', () => {
    expect(send(fixture('github-push.json'))).toEqual({
      kind: 'push',
      branch: 'main',
      commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      repositoryUrl: 'https://github.com/Codertocat/ports.git',
      pusher: 'Codertocat',
    });
  });

  it('ignores the ping sent when the webhook is created', () => {
    expect(send(fixture('github-ping.json'), 'ping')).toEqual({ kind: 'ignored', reason: expect.stringContaining('ping') });
  });

  it('ignores branch deletions', () => {
    expect(send(fixture('github-branch-delete.json'))).toEqual({ kind: 'ignored', reason: expect.stringMatching(/was deleted/) });
  });

  it('honours deleted: true even without an all-zero after', () => {
    const body = fixtureWith('github-push.json', { deleted: true });
    expect(send(body)).toEqual({ kind: 'ignored', reason: expect.stringMatching(/was deleted/) });
  });

  it('ignores tag pushes', () => {
    const body = fixtureWith('github-push.json', { ref: 'refs/tags/v2.12' });
    expect(send(body)).toEqual({ kind: 'ignored', reason: expect.stringContaining('tag push (refs/tags/v2.12)') });
  });

  it('ignores refs that are neither branches nor tags', () => {
    const body = fixtureWith('github-push.json', { ref: 'refs/notes/commits' });
    expect(send(body)).toEqual({ kind: 'ignored', reason: 'refs/notes/commits is not a branch' });
  });

  it('ignores other event types', () => {
    expect(send(fixture('github-push.json'), 'pull_request')).toEqual({
      kind: 'ignored', reason: expect.stringContaining('"pull_request" events do not start builds'),
    });
  });

  it('ignores branches the tree does not build', () => {
    const body = fixtureWith('github-push.json', { ref: 'refs/heads/wip' });
    expect(send(body)).toEqual({ kind: 'ignored', reason: expect.stringContaining('"wip" is not built by this tree (configured: main, release/1.x)') });
  });

  it('lower-cases the commit id, so workflow IDs are stable', () => {
    const body = fixtureWith('github-push.json', { after: '0D1A26E67D8F5EAF1F6BA5C57FC3C7D91AC0FD1C' });
    expect(send(body)).toMatchObject({ commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' });
  });

  it('leaves out what the payload does not say', () => {
    const body = fixtureWith('github-push.json', { repository: undefined, pusher: undefined, sender: undefined });
    const result = send(body);
    expect(result).toEqual({ kind: 'push', branch: 'main', commit: expect.any(String), before: expect.any(String) });
    expect(result).not.toHaveProperty('repositoryUrl');
  });
});
