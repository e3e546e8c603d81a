import type { PublishTarget } from '../../../domain/config';
import type { MirrorLayout } from '../../formats/format-io';
import { rsyncTarget } from './rsync';
import { s3Target } from './s3';
import { PublishTargetError } from './target-error';
import { describeUrl, triggerTarget, type TriggerPayload } from './trigger';

// Publish targets: where a branch goes after its `current` switched (besides the folder the API serves).
// Call runPublishTarget inside an activity with a target taken from the worker's own loaded configuration:
// a target that travelled through a workflow payload has lost its secret (a Secret serializes as "[secret]").

export { PublishTargetError, toApplicationFailure, type TargetFailureDetails, type TargetFailureReason } from './target-error';
export { classifyRsyncExit, rsyncTarget, type RsyncOptions, type RsyncResult } from './rsync';
export { indexMatcher, indexRank, s3Target, type S3Options, type S3Result, type S3Target } from './s3';
export { DELIVERY_HEADER, SIGNATURE_HEADER, triggerSignature, triggerTarget, type TriggerPayload, type TriggerTarget } from './trigger';

export interface PublishTargetContext extends TriggerPayload {
  /** The complete snapshot folder that is now current (a real folder: dists/, pool/, keys). */
  readonly snapshotDir: string;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
  /** Which of the snapshot's files are its indexes, sent last (default: APT's dists/). */
  readonly layout?: MirrorLayout;
  /** The snapshot's package files (from its manifest) and its shared pool folder: what an S3 target sends of the pool. */
  readonly packageFiles?: ReadonlyArray<{ path: string; size: number }>;
  readonly sharedPool?: string;
}

/** The target as a log line names it; never a secret (a trigger URL loses credentials and query). */
export function describeTarget(target: PublishTarget): string {
  switch (target.kind) {
    case 'rsync': return `rsync to ${target.destination}`;
    case 'trigger': return `trigger ${describeUrl(target.url)}`;
    case 's3': return `s3 to s3://${target.bucket}/${target.prefix}`;
  }
}

/**
 * Bring one target up to date with the branch's snapshot; returns what was done, in one short line.
 * Throws PublishTargetError (with `retryable`) or, when cancelled, the signal's reason.
 */
export async function runPublishTarget(target: PublishTarget, context: PublishTargetContext): Promise<string> {
  if (!target.branches.includes(context.branch)) {
    // A caller bug, but an expensive one: an rsync of the wrong branch would delete the right one from the mirror.
    throw new PublishTargetError('PUBLISH_TARGET_FAILED', `${describeTarget(target)} does not take branch ${context.branch} (it takes ${target.branches.join(', ')})`, {
      target: describeTarget(target), reason: 'destination', retryable: false,
    });
  }
  switch (target.kind) {
    case 'rsync': {
      const result = await rsyncTarget(target.destination, context.snapshotDir, { log: context.log, signal: context.signal, layout: context.layout });
      return `${describeTarget(target)}: snapshot ${context.snapshot}, ${result.filesTransferred} files sent, ${result.filesDeleted} deleted`;
    }
    case 'trigger': {
      const { status } = await triggerTarget(target, context, context.signal);
      return `${describeTarget(target)}: snapshot ${context.snapshot}, answered ${status}${target.secret ? ' (signed)' : ''}`;
    }
    case 's3': {
      const result = await s3Target(target, context.snapshotDir, {
        log: context.log, signal: context.signal, layout: context.layout ?? { marker: 'dists', indexes: ['/dists/***'] },
        packageFiles: context.packageFiles ?? [], sharedPool: context.sharedPool,
      });
      return `${describeTarget(target)}: snapshot ${context.snapshot}, ${result.uploaded} files sent, ${result.kept} already there, ${result.deleted} deleted`;
    }
  }
}
