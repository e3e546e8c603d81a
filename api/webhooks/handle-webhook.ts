import { KilnError } from '../../domain/errors';
import { detectProvider } from './detect-provider';
import { forgejo, gitea } from './gitea';
import { github } from './github';
import { gitlab } from './gitlab';
import { headerValue } from './headers';
import { classifyPush, parseJsonBody } from './payload';
import type { ProviderAdapter, WebhookProvider, WebhookRequest, WebhookResult } from './types';

const ADAPTERS: Readonly<Record<WebhookProvider, ProviderAdapter>> = { gitlab, github, gitea, forgejo };

/**
 * One webhook request → a push to build, or the reason to ignore it. Throws KilnError WEBHOOK_SIGNATURE_INVALID
 * (401) or WEBHOOK_PAYLOAD_INVALID (400). Authentication comes first, so an unauthenticated caller learns nothing
 * about the payload rules, and a tree without a secret rejects everything.
 */
export function handleWebhook(request: WebhookRequest): WebhookResult {
  const provider = request.provider ?? detectProvider(request.headers);
  if (!request.secret) {
    throw new KilnError('WEBHOOK_SIGNATURE_INVALID', 'this tree has no webhook secret configured, so it accepts no webhooks');
  }
  if (!provider) {
    throw new KilnError('WEBHOOK_PAYLOAD_INVALID',
      'cannot tell which forge sent this: no X-Gitlab-Event, X-GitHub-Event, X-Gitea-Event or X-Forgejo-Event header');
  }
  const adapter = ADAPTERS[provider];
  adapter.verify(request.headers, request.rawBody, request.secret);

  const ignored = adapter.ignoreEvent(request.headers);
  if (ignored !== undefined) return { kind: 'ignored', reason: ignored };
  const result = classifyPush(adapter.extract(parseJsonBody(request.rawBody)), request.branches);
  // Only now, after the signature or token was checked, is the delivery ID worth anything: the route records it, so
  // a caller without the secret cannot fill the record with IDs. (The ID header itself is not signed; a replay
  // under a new ID is caught by the route's check against the published commit.)
  const deliveryId = adapter.deliveryHeaders.map((h) => headerValue(request.headers, h)).find((v) => v !== undefined);
  return result.kind === 'push' && deliveryId !== undefined ? { ...result, deliveryId } : result;
}
