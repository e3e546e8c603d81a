import { headerValue } from './headers';
import type { WebhookHeaders, WebhookProvider } from './types';

// Order matters: Forgejo also sends X-Gitea-* headers, and Gitea/Forgejo also send X-GitHub-Event for
// compatibility, so the most specific header wins.
const MARKERS: readonly (readonly [WebhookProvider, string])[] = [
  ['forgejo', 'X-Forgejo-Event'],
  ['gitea', 'X-Gitea-Event'],
  ['gitlab', 'X-Gitlab-Event'],
  ['github', 'X-GitHub-Event'],
];

/** Which forge sent the request, from its event header; undefined when none of them did. */
export function detectProvider(headers: WebhookHeaders): WebhookProvider | undefined {
  return MARKERS.find(([, header]) => headerValue(headers, header) !== undefined)?.[0];
}
