import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Secret } from '../../../domain/secret';
import type { WebhookHeaders, WebhookProvider, WebhookRequest } from '../../../api/webhooks';

// Builds signed webhook requests the way each forge sends them, from the fixture payloads.

export const SECRET_TEXT = 'n0t-a-real-secret-but-long-enough';
export const secret = new Secret(SECRET_TEXT);
export const BRANCHES = ['main', 'release/1.x'];

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'webhooks');

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

/** A fixture with some fields changed, re-serialized (tests sign whatever bytes they send). */
export function fixtureWith(name: string, changes: Record<string, unknown>): Buffer {
  const payload = JSON.parse(fixture(name).toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...payload, ...changes }));
}

export function hmacHex(body: Buffer, key: Buffer | string = SECRET_TEXT): string {
  return crypto.createHmac('sha256', key).update(body).digest('hex');
}

/** The headers each forge really sends for an event (Gitea and Forgejo add GitHub-compatible ones). */
export function signedHeaders(provider: WebhookProvider, body: Buffer, eventType?: string, key = SECRET_TEXT): Record<string, string> {
  const sig = hmacHex(body, key);
  const event = eventType ?? (provider === 'gitlab' ? 'Push Hook' : 'push');
  switch (provider) {
    case 'gitlab':
      return { 'content-type': 'application/json', 'x-gitlab-event': event, 'x-gitlab-token': key };
    case 'github':
      return { 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': `sha256=${sig}` };
    case 'gitea':
      return {
        'content-type': 'application/json', 'x-gitea-event': event, 'x-gitea-signature': sig,
        'x-github-event': event, 'x-hub-signature-256': `sha256=${sig}`,
      };
    case 'forgejo':
      return {
        'content-type': 'application/json', 'x-forgejo-event': event, 'x-forgejo-signature': sig,
        'x-gitea-event': event, 'x-gitea-signature': sig, 'x-github-event': event, 'x-hub-signature-256': `sha256=${sig}`,
      };
  }
}

export function request(rawBody: Buffer, headers: WebhookHeaders, overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  return { headers, rawBody, secret, branches: BRANCHES, ...overrides };
}
