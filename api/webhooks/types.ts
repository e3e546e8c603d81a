import type { Secret } from '../../domain/secret';

// Webhook intake, normalized across GitLab, GitHub, Gitea and Forgejo: what a push is, whoever sent it.

export type WebhookProvider = 'gitlab' | 'github' | 'gitea' | 'forgejo';

/** Node/fastify request headers (names lowercase there; lookups here are case-insensitive anyway). */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface PushEvent {
  readonly kind: 'push';
  readonly branch: string;
  /** The pushed commit (`after`), 40 lowercase hex digits. */
  readonly commit: string;
  /** The branch's previous commit; all zeros when the push created the branch. */
  readonly before: string;
  readonly repositoryUrl?: string;
  readonly pusher?: string;
  /** The forge's ID of this delivery (a redelivery repeats it), when it sent one. */
  readonly deliveryId?: string;
}

export interface IgnoredEvent {
  readonly kind: 'ignored';
  /** Why nothing will be built, for the HTTP answer and the log. */
  readonly reason: string;
}

export type WebhookResult = PushEvent | IgnoredEvent;

export interface WebhookRequest {
  /** From the route (e.g. /webhooks/<tree>/github); detected from the headers when absent. */
  readonly provider?: WebhookProvider;
  readonly headers: WebhookHeaders;
  /** The body exactly as received: signatures are computed over these bytes. */
  readonly rawBody: Buffer;
  /** The tree's webhook secret; undefined means the tree accepts no webhooks. */
  readonly secret: Secret | undefined;
  /** The tree's configured branches: pushes to others are ignored. */
  readonly branches: readonly string[];
}

/** The fields of a push payload Kiln uses, as a provider module extracts them (not yet validated). */
export interface PushFields {
  readonly ref: unknown;
  readonly before: unknown;
  readonly after: unknown;
  /** GitHub says so explicitly; the others only through an all-zero `after`. */
  readonly deleted: boolean;
  readonly repositoryUrl?: string;
  readonly pusher?: string;
}

/** What differs between providers: how to authenticate, which event header, where the fields are. */
export interface ProviderAdapter {
  readonly provider: WebhookProvider;
  /** Headers naming the delivery, in order of preference (not covered by the signature: see handle-webhook.ts). */
  readonly deliveryHeaders: readonly string[];
  /** Throws WEBHOOK_SIGNATURE_INVALID unless the request carries the right token or signature. */
  verify(headers: WebhookHeaders, rawBody: Buffer, secret: Secret): void;
  /** undefined for a push event; otherwise why the event is ignored (ping, test hook, other event type). */
  ignoreEvent(headers: WebhookHeaders): string | undefined;
  extract(payload: Readonly<Record<string, unknown>>): PushFields;
}
