import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../../api/webhooks';
import { expectKilnError } from './expect-kiln-error';
import { fixture, fixtureWith, hmacHex, request, signedHeaders } from './requests';

const EXPECTED = {
  kind: 'push',
  branch: 'main',
  commit: 'bffeb74224043ba2feb48d137756c8a9331c449a',
  before: '28e1879d029cb852e4844d9c718537df08844e03',
  repositoryUrl: 'https://gitea.example.com/gitea/ports.git',
  pusher: 'gitea',
};

describe('Gitea and Forgejo push events', () => {
  it.each(['gitea', 'forgejo'] as const)('%s: normalizes a push (provider detected from the headers)', (provider) => {
    const body = fixture('gitea-push.json');
    expect(handleWebhook(request(body, signedHeaders(provider, body)))).toEqual(EXPECTED);
  });

  it('Forgejo: checks X-Forgejo-Signature, not the Gitea one it also sends', () => {
    const body = fixture('gitea-push.json');
    const headers = { ...signedHeaders('forgejo', body), 'x-forgejo-signature': hmacHex(body, 'wrong') };
    expectKilnError(() => handleWebhook(request(body, headers)), 'WEBHOOK_SIGNATURE_INVALID', /X-Forgejo-Signature/);
  });

  it('ignores the "Test Delivery" button (before equals after)', () => {
    const body = fixture('gitea-test-delivery.json');
    expect(handleWebhook(request(body, signedHeaders('gitea', body)))).toEqual({
      kind: 'ignored', reason: expect.stringContaining('test delivery'),
    });
  });

  it('ignores the test delivery of an empty repository (all zeros)', () => {
    const zeros = '0'.repeat(40);
    const body = fixtureWith('gitea-test-delivery.json', { before: zeros, after: zeros });
    expect(handleWebhook(request(body, signedHeaders('gitea', body)))).toEqual({
      kind: 'ignored', reason: expect.stringContaining('test delivery'),
    });
  });

  it('ignores branch deletions', () => {
    const body = fixtureWith('gitea-push.json', { after: '0'.repeat(40) });
    expect(handleWebhook(request(body, signedHeaders('gitea', body)))).toEqual({
      kind: 'ignored', reason: expect.stringMatching(/was deleted/),
    });
  });

  it('ignores tag pushes and non-push events', () => {
    const tag = fixtureWith('gitea-push.json', { ref: 'refs/tags/v1' });
    expect(handleWebhook(request(tag, signedHeaders('gitea', tag)))).toMatchObject({ kind: 'ignored' });
    const body = fixture('gitea-push.json');
    expect(handleWebhook(request(body, signedHeaders('forgejo', body, 'create')))).toEqual({
      kind: 'ignored', reason: expect.stringContaining('"create" events do not start builds'),
    });
  });

  it('falls back to pusher.username', () => {
    const body = fixtureWith('gitea-push.json', { pusher: { username: 'alice' } });
    expect(handleWebhook(request(body, signedHeaders('gitea', body)))).toMatchObject({ pusher: 'alice' });
  });
});
