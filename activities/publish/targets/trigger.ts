import type { PublishTarget } from '../../../domain/config';
import { DELIVERY_HEADER, SIGNATURE_HEADER, describeUrl, hmacSignature, postOnce } from '../../lib/http-post';
import { PublishTargetError } from './target-error';

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

export { DELIVERY_HEADER, SIGNATURE_HEADER, describeUrl };
/** `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`: the value of X-Kiln-Signature-256. */
export const triggerSignature = hmacSignature;

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
  timeoutMs?: number,
): Promise<{ status: number }> {
  const name = `trigger ${describeUrl(target.url)}`;
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
    [DELIVERY_HEADER]: `${payload.tree}/${payload.branch}/${payload.snapshot}`,
  };
  if (target.secret) headers[SIGNATURE_HEADER] = hmacSignature(target.secret.reveal(), body);

  const result = await postOnce(name, target.url, body, headers, { signal, timeoutMs });
  if (result.ok) return { status: result.status };
  const { failure } = result;
  throw new PublishTargetError(failure.reason === 'timeout' ? 'PUBLISH_TARGET_TIMEOUT' : 'PUBLISH_TARGET_FAILED', failure.message, {
    target: name,
    reason: failure.reason,
    retryable: failure.retryable,
    ...(failure.status !== undefined ? { status: failure.status } : {}),
    ...(failure.output !== undefined ? { output: failure.output } : {}),
  });
}
