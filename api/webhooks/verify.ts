import * as crypto from 'node:crypto';
import { KilnError } from '../../domain/errors';
import type { Secret } from '../../domain/secret';

// Constant-time checks. Both sides are hashed to 32 bytes before timingSafeEqual, so neither the comparison nor a
// length check can tell an attacker how much of a guess was right, or how long the secret is.

function digest(value: Buffer | string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}

function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  return crypto.timingSafeEqual(digest(a), digest(b));
}

function rejected(message: string): KilnError {
  return new KilnError('WEBHOOK_SIGNATURE_INVALID', message);
}

/** GitLab: the header carries the secret itself. */
export function verifyToken(header: string, provided: string | undefined, secret: Secret): void {
  if (provided === undefined) throw rejected(`the ${header} header is missing`);
  if (!safeEqual(Buffer.from(provided, 'utf8'), secret.reveal())) throw rejected(`the ${header} header does not match the tree's webhook secret`);
}

/**
 * GitHub, Gitea, Forgejo: the header carries the hex HMAC-SHA256 of the raw body, after `prefix` (`sha256=` for
 * GitHub, nothing for Gitea/Forgejo). Checked over the bytes as received, before any JSON parsing.
 */
export function verifyHmacSha256(header: string, provided: string | undefined, prefix: string, rawBody: Buffer, secret: Secret): void {
  if (provided === undefined) throw rejected(`the ${header} header is missing`);
  const expected = prefix + crypto.createHmac('sha256', secret.reveal()).update(rawBody).digest('hex');
  // Hex case carries no meaning; the prefix is compared too, inside the same constant-time check.
  if (!safeEqual(provided.trim().toLowerCase(), expected)) throw rejected(`the ${header} signature does not match the body and the tree's webhook secret`);
}
