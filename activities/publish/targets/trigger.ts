import * as crypto from 'node:crypto';
import type { PublishTarget } from '../../../domain/config';
import { PublishTargetError, excerpt } from './target-error';

// Tells a URL that a branch was published: one POST of a small JSON body, signed when the target has a secret.

export type TriggerTarget = Extract<PublishTarget, { kind: 'trigger' }>;

/** The JSON body of the POST, exactly these fields. */
export interface TriggerPayload {
  readonly tree: string;
  readonly branch: string;
  readonly suite: string;
  /** The snapshot number now current. */
  readonly snapshot: number;
  /** The ports tree commit the snapshot was published for. */
  readonly commit: string;
  /** ISO 8601. */
  readonly publishedAt: string;
}

export const SIGNATURE_HEADER = 'X-Kiln-Signature-256';
export const DELIVERY_HEADER = 'X-Kiln-Delivery';
const DEFAULT_TIMEOUT_MS = 30_000;
const BODY_EXCERPT = 300;

/** `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`: the value of X-Kiln-Signature-256. */
export function triggerSignature(secret: Buffer, body: Buffer | string): string {
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
 * POST `payload` as JSON to the target's URL: `User-Agent: kiln`, `X-Kiln-Delivery: <tree>/<branch>/<snapshot>`
 * (the same on every retry, so a receiver can drop repeats) and, with a secret, `X-Kiln-Signature-256`.
 * 2xx: done. Redirects are not followed. 5xx, 408, 429, network errors and the timeout (default 30 s) are retryable
 * PublishTargetErrors; other answers are not. A cancelled `signal` throws its reason.
 */
export async function triggerTarget(
  target: TriggerTarget,
  payload: TriggerPayload,
  signal?: AbortSignal,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<{ status: number }> {
  const name = `trigger ${describeUrl(target.url)}`;
  signal?.throwIfAborted();
  const body = Buffer.from(JSON.stringify({
    tree: payload.tree,
    branch: payload.branch,
    suite: payload.suite,
    snapshot: payload.snapshot,
    commit: payload.commit,
    publishedAt: payload.publishedAt,
  }));
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'kiln',
    [DELIVERY_HEADER]: `${payload.tree}/${payload.branch}/${payload.snapshot}`,
  };
  if (target.secret) headers[SIGNATURE_HEADER] = triggerSignature(target.secret.reveal(), body);

  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const timedOut = () => new PublishTargetError('PUBLISH_TARGET_TIMEOUT', `${name}: no answer within ${Math.round(timeoutMs / 1000)} s`, {
    target: name, reason: 'timeout', retryable: true,
  });

  let response: Response;
  try {
    response = await fetch(target.url, { method: 'POST', headers, body, redirect: 'manual', signal: combined });
  } catch (err) {
    signal?.throwIfAborted();
    if (deadline.aborted) throw timedOut();
    throw new PublishTargetError('PUBLISH_TARGET_FAILED', `${name}: cannot reach it (${networkCause(err)})`, {
      target: name, reason: 'network', retryable: true,
    });
  }

  let text: string;
  try {
    text = response.ok ? '' : await bodyStart(response, BODY_EXCERPT);
    if (response.ok) await response.body?.cancel();
  } catch {
    text = '';
  }
  signal?.throwIfAborted();
  if (response.ok) return { status: response.status };

  const status = response.status;
  const retryable = status >= 500 || status === 408 || status === 429;
  const redirect = status >= 300 && status < 400;
  const why = redirect
    ? `answered ${status}, a redirect${redirectNote(response.headers.get('location'), target.url)}; configure the final URL`
    : `answered ${status}${response.statusText ? ` ${response.statusText}` : ''}`;
  throw new PublishTargetError('PUBLISH_TARGET_FAILED', `${name} ${why}${text ? `: ${text}` : ''}`, {
    target: name, reason: retryable ? 'remote' : 'destination', retryable, status, output: text,
  });
}
