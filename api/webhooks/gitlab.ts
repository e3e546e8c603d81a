import { headerValue } from './headers';
import { ignoreUnlessEvent } from './event-header';
import { optionalString, record } from './payload';
import type { ProviderAdapter } from './types';
import { verifyToken } from './verify';

// GitLab push hooks: the secret travels as-is in X-Gitlab-Token (GitLab does not sign bodies), the event type in
// X-Gitlab-Event. Tag pushes come as "Tag Push Hook". GitLab's "Test" button sends a real-looking push of the
// branch head: nothing marks it, and building it is harmless (same workflow ID as the real push).

export const gitlab: ProviderAdapter = {
  provider: 'gitlab',
  deliveryHeaders: ['X-Gitlab-Event-UUID'],
  verify(headers, _rawBody, secret) {
    verifyToken('X-Gitlab-Token', headerValue(headers, 'X-Gitlab-Token'), secret);
  },
  ignoreEvent(headers) {
    return ignoreUnlessEvent(headers, 'X-Gitlab-Event', 'Push Hook');
  },
  extract(payload) {
    const project = record(payload.project);
    const repository = record(payload.repository);
    return {
      ref: payload.ref,
      before: payload.before,
      after: payload.after,
      deleted: false,
      repositoryUrl: optionalString(project.git_http_url) ?? optionalString(repository.git_http_url),
      pusher: optionalString(payload.user_username) ?? optionalString(payload.user_name),
    };
  },
};
