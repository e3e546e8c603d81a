// Webhook intake: verify, parse and normalize push events from GitLab, GitHub, Gitea and Forgejo. Pure: the fastify
// route passes the raw body and headers in and maps the KilnError codes to HTTP answers.
export { handleWebhook } from './handle-webhook';
export { detectProvider } from './detect-provider';
export type { IgnoredEvent, PushEvent, WebhookHeaders, WebhookProvider, WebhookRequest, WebhookResult } from './types';
