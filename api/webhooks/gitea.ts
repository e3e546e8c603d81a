import { headerValue } from './headers';
import { ignoreUnlessEvent } from './event-header';
import { optionalString, record } from './payload';
import type { ProviderAdapter, PushFields, WebhookProvider } from './types';
import { verifyHmacSha256 } from './verify';

// Gitea and its fork Forgejo: the same payload; the signature is the bare hex HMAC-SHA256 of the raw body in
// X-Gitea-Signature (Forgejo: X-Forgejo-Signature, and it sends the X-Gitea-* headers too). Their "Test Delivery"
// is a push with before = after, which payload.ts ignores.

function extract(payload: Readonly<Record<string, unknown>>): PushFields {
  const repository = record(payload.repository);
  const pusher = record(payload.pusher);
  return {
    ref: payload.ref,
    before: payload.before,
    after: payload.after,
    deleted: false,
    repositoryUrl: optionalString(repository.clone_url),
    pusher: optionalString(pusher.login) ?? optionalString(pusher.username),
  };
}

function adapter(provider: WebhookProvider, prefix: 'Gitea' | 'Forgejo'): ProviderAdapter {
  return {
    provider,
    deliveryHeaders: prefix === 'Gitea' ? ['X-Gitea-Delivery'] : ['X-Forgejo-Delivery', 'X-Gitea-Delivery'],
    verify(headers, rawBody, secret) {
      const header = `X-${prefix}-Signature`;
      verifyHmacSha256(header, headerValue(headers, header), '', rawBody, secret);
    },
    ignoreEvent(headers) {
      return ignoreUnlessEvent(headers, `X-${prefix}-Event`, 'push');
    },
    extract,
  };
}

export const gitea = adapter('gitea', 'Gitea');
export const forgejo = adapter('forgejo', 'Forgejo');
