import type { WebhookHeaders } from './types';

/**
 * One header's value, matched case-insensitively. A header sent more than once counts as absent: two signatures
 * or two event types are not something to pick from.
 */
export function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    if (typeof value === 'string') return value;
    return value && value.length === 1 ? value[0] : undefined;
  }
  return undefined;
}
