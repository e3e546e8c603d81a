import { headerValue } from './headers';
import { ignoreUnlessEvent } from './event-header';
import { optionalString, record } from './payload';
import type { ProviderAdapter } from './types';
import { verifyHmacSha256 } from './verify';

// GitHub: X-Hub-Signature-256 is `sha256=` + hex HMAC-SHA256 of the raw body (the legacy SHA-1 header is not
// accepted). Creating a webhook sends a signed `ping` event first.

export const github: ProviderAdapter = {
  provider: 'github',
  deliveryHeaders: ['X-GitHub-Delivery'],
  verify(headers, rawBody, secret) {
    verifyHmacSha256('X-Hub-Signature-256', headerValue(headers, 'X-Hub-Signature-256'), 'sha256=', rawBody, secret);
  },
  ignoreEvent(headers) {
    if (headerValue(headers, 'X-GitHub-Event') === 'ping') return 'ping event: the webhook is set up and its secret matches';
    return ignoreUnlessEvent(headers, 'X-GitHub-Event', 'push');
  },
  extract(payload) {
    const repository = record(payload.repository);
    return {
      ref: payload.ref,
      before: payload.before,
      after: payload.after,
      deleted: payload.deleted === true,
      repositoryUrl: optionalString(repository.clone_url),
      pusher: optionalString(record(payload.pusher).name) ?? optionalString(record(payload.sender).login),
    };
  },
};
