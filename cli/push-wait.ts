import { pushUrl } from '../api/data/links';
import type { PushDetail } from '../api/data/push-view';
import type { PushRef } from '../domain/data-layout';
import type { ApiClient } from './api-client';
import { ApiError, CliError, EXIT } from './cli-error';
import { pollApi } from './poll';
import { pushDecided } from './push-report';

// Following a push through the API until it is decided (succeeded, failed, cancelled, superseded). "failed" is not
// final for the push, which waits for retry or cancel, but it is the answer `--wait` gives.

export interface WaitOptions {
  pollMs: number;
  onStatus(push: PushDetail): void;
  /** The push is accepted before its workflow exists (the branch starts it): how long it may take. Default 60 s. */
  startTimeoutMs?: number;
  /** Failed requests in a row (Kiln unreachable, 5xx) before giving up. Default 30. */
  transientBudget?: number;
}

export async function waitForPush(client: ApiClient, push: PushRef, opts: WaitOptions): Promise<PushDetail> {
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const startDeadline = Date.now() + startTimeoutMs;
  let seen = false;
  return pollApi(async () => {
    let detail: PushDetail;
    try {
      detail = await client.get<PushDetail>(pushUrl(push));
      seen = true;
    } catch (err) {
      // Accepted but not started yet: the branch coordinator starts it a moment later.
      if (seen || !(err instanceof ApiError && err.code === 'PUSH_UNKNOWN')) throw err;
      if (Date.now() > startDeadline) {
        throw new CliError('PUSH_NOT_STARTED', `the push of ${push.tree}/${push.branch} at ${push.commit} was accepted but has not started `
          + `within ${Math.round(startTimeoutMs / 1000)} s: is Kiln's orchestrator running?`, EXIT.unreachable);
      }
      return undefined;
    }
    opts.onStatus(detail);
    return pushDecided(detail) ? detail : undefined;
  }, opts.pollMs, opts.transientBudget);
}
