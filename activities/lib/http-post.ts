import * as crypto from 'node:crypto';
import { excerpt } from '../publish/targets/target-error';

// One POST to a URL someone configured (a trigger, a notification target, a forge's status API): a timeout, no
// redirects followed, and a failure said in words an operator can act on, without the URL's secrets or query.

export const SIGNATURE_HEADER = 'X-Kiln-Signature-256';
export const DELIVERY_HEADER = 'X-Kiln-Delivery';
const DEFAULT_TIMEOUT_MS = 30_000;
const BODY_EXCERPT = 300;

/** `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`: the value of X-Kiln-Signature-256. */
export function hmacSignature(secret: Buffer, body: Buffer | string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The URL without credentials, query or fragment: safe to put in a log line or an error. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Why a POST did not succeed. `retryable`: trying again later may (network, timeout, 5xx, 408, 429). */
export interface PostFailure {
  readonly message: string;
  readonly reason: 'network' | 'timeout' | 'remote' | 'destination';
  readonly retryable: boolean;
  readonly status?: number;
  readonly output?: string;
}

export type PostResult = { ok: true; status: number; body?: string } | { ok: false; failure: PostFailure };

/** The start of a response body, reading no more of it than needed. */
async function bodyStart(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    while (size < max * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      size += value.length;
    }
  } catch {
    // A body cut short still tells something.
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return excerpt(Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' '), max, 'start');
}

function redirectNote(location: string | null, base: string): string {
  if (!location) return '';
  try {
    return ` to ${describeUrl(new URL(location, base).href)}`;
  } catch {
    return '';
  }
}

/** What a network-level fetch failure was, from undici's `cause` (ECONNREFUSED, ENOTFOUND, ...). */
function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  // Not the error's own message: undici's may quote the whole URL.
  return cause?.code ?? cause?.message ?? 'fetch failed';
}

/**
 * POST `body` to `url` as `name` says in messages. 2xx: ok. Redirects are not followed (a configured URL should be
 * the final one). A cancelled `signal` throws its reason; everything else is a result, never a throw.
 */
export async function postOnce(
  name: string,
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  { signal, timeoutMs = DEFAULT_TIMEOUT_MS }: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<PostResult> {
  signal?.throwIfAborted();
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'User-Agent': 'kiln', ...headers }, body, redirect: 'manual', signal: combined });
  } catch (err) {
    signal?.throwIfAborted();
    if (deadline.aborted) {
      return { ok: false, failure: { message: `${name}: no answer within ${Math.round(timeoutMs / 1000)} s`, reason: 'timeout', retryable: true } };
    }
    return { ok: false, failure: { message: `${name}: cannot reach it (${networkCause(err)})`, reason: 'network', retryable: true } };
  }

  let text: string;
  try {
    text = await bodyStart(response, BODY_EXCERPT);
  } catch {
    text = '';
  }
  signal?.throwIfAborted();
  if (response.ok) return { ok: true, status: response.status, body: text };

  const status = response.status;
  const retryable = status >= 500 || status === 408 || status === 429;
  const redirect = status >= 300 && status < 400;
  const why = redirect
    ? `answered ${status}, a redirect${redirectNote(response.headers.get('location'), url)}; configure the final URL`
    : `answered ${status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return {
    ok: false,
    failure: { message: `${name} ${why}${text ? `: ${text}` : ''}`, reason: retryable ? 'remote' : 'destination', retryable, status, output: text },
  };
}
