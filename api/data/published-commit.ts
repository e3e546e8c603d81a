import { publishedCommitCovering } from '../../activities/plan/published-state';
import type { DataLayout, PushRef } from '../../domain/data-layout';

/**
 * The published commit of the push's branch when the pushed commit is that commit or one of its ancestors, else
 * undefined. Webhook intake asks this so that a replayed old push (validly signed, under a new delivery ID or one the
 * record forgot) never rebuilds and republishes an older state over the newer one; operators' pushes and rollbacks
 * do not go through it. The branch coordinator asks the same again at publish time (a newer push may have been
 * published meanwhile).
 */
export type PublishedCheck = (push: PushRef) => Promise<string | undefined>;

/** The real check: the branch's current snapshot manifest and the tree's mirror, read-only. */
export function publishedCheck(layout: DataLayout): PublishedCheck {
  return (push) => publishedCommitCovering(layout, push);
}
