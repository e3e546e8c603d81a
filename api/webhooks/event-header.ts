import { KilnError } from '../../domain/errors';
import { headerValue } from './headers';
import type { WebhookHeaders } from './types';

/**
 * The shared event-type rule: undefined when the header names a push, the reason to ignore it otherwise. A missing
 * header is a malformed request (400), not an event to ignore: every provider always sends it.
 */
export function ignoreUnlessEvent(headers: WebhookHeaders, header: string, pushValue: string): string | undefined {
  const event = headerValue(headers, header);
  if (event === undefined) {
    throw new KilnError('WEBHOOK_PAYLOAD_INVALID', `the ${header} header is missing (expected "${pushValue}")`);
  }
  return event === pushValue ? undefined : `"${event}" events do not start builds (only "${pushValue}")`;
}
