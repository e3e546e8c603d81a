import { ApplicationFailure } from '@temporalio/common';
import { KilnError } from '../../../domain/errors';

/** Why a target failed: what the operator looks at first. */
export type TargetFailureReason =
  | 'source' // the published folder to send is missing or incomplete
  | 'destination' // the target refused the destination or the request (rsync usage, 4xx, redirect)
  | 'network' // could not reach the target, or the connection broke
  | 'remote' // the target reached, but failed on its side (rsync transfer errors, 5xx)
  | 'timeout';

export interface TargetFailureDetails {
  /** The target as a log line shows it, e.g. `rsync to mirror:/srv/repo` (never a secret). */
  readonly target: string;
  readonly reason: TargetFailureReason;
  /** true: trying again later may succeed (network, timeouts, 5xx); false: a person has to change something. */
  readonly retryable: boolean;
  readonly exitCode?: number;
  readonly status?: number;
  /** The last lines of rsync's stderr, or the start of the HTTP answer's body. */
  readonly output?: string;
}

/**
 * A publish target failed. `code` is PUBLISH_TARGET_FAILED or PUBLISH_TARGET_TIMEOUT; `retryable` says whether
 * an automatic retry makes sense. `toApplicationFailure` turns it into the failure an activity throws.
 */
export class PublishTargetError extends KilnError {
  readonly retryable: boolean;
  declare readonly details: TargetFailureDetails;

  constructor(code: 'PUBLISH_TARGET_FAILED' | 'PUBLISH_TARGET_TIMEOUT', message: string, details: TargetFailureDetails) {
    super(code, message, details);
    this.name = 'PublishTargetError';
    this.retryable = details.retryable;
  }
}

/**
 * For an activity: a PublishTargetError becomes an ApplicationFailure of type = its code, non-retryable unless
 * the target may recover on its own; anything else is returned unchanged (the SDK retries it).
 */
export function toApplicationFailure(err: unknown): unknown {
  if (!(err instanceof PublishTargetError)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.code,
    nonRetryable: !err.retryable,
    details: [err.details],
    cause: err,
  });
}

/** At most `max` characters of `text`, trimmed, from its end (rsync: the last lines say why) or its start (HTTP). */
export function excerpt(text: string, max: number, from: 'start' | 'end'): string {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  return from === 'end' ? `…${trimmed.slice(-max)}` : `${trimmed.slice(0, max)}…`;
}
