import { describe, expect, it } from 'vitest';
import { handleWebhook, type WebhookProvider } from '../../../api/webhooks';
import { fixture, request, signedHeaders } from './requests';

// Each forge names its delivery in its own header: the ID comes back with a verified push, for the route to record.
describe('webhook delivery IDs', () => {
  it.each([
    ['github', 'github-push.json', { 'x-github-delivery': 'gh-1' }, 'gh-1'],
    ['gitlab', 'gitlab-push.json', { 'x-gitlab-event-uuid': 'gl-1' }, 'gl-1'],
    ['gitea', 'gitea-push.json', { 'x-gitea-delivery': 'gt-1' }, 'gt-1'],
    ['forgejo', 'gitea-push.json', { 'x-forgejo-delivery': 'fj-1', 'x-gitea-delivery': 'fj-1' }, 'fj-1'],
  ] as const)('%s: from its delivery header', (provider, file, headers, id) => {
    const body = fixture(file);
    const result = handleWebhook(request(body, { ...signedHeaders(provider as WebhookProvider, body), ...headers }));
    expect(result).toMatchObject({ kind: 'push', deliveryId: id });
  });

  it('a push without one has none, and an ignored event carries none', () => {
    const body = fixture('github-push.json');
    expect(handleWebhook(request(body, signedHeaders('github', body)))).not.toHaveProperty('deliveryId');
    const ping = fixture('github-ping.json');
    expect(handleWebhook(request(ping, { ...signedHeaders('github', ping, 'ping'), 'x-github-delivery': 'p' }))).not.toHaveProperty('deliveryId');
  });
});
