import type { PushRef } from '../data-layout';

// The shapes the publish pipeline exchanges (workflows import them): small, never repository contents.

/** What the branch coordinator queues: publish a built push, or roll back to an older snapshot. */
export type PublishRequest =
  | {
      kind: 'push'; tree: string; branch: string; replyTo: string; push: PushRef; seq: number;
      /** The push came from a webhook: it is not published when its commit is the published one or an ancestor. */
      fromWebhook?: boolean;
    }
  | { kind: 'rollback'; tree: string; branch: string; replyTo: string; to?: number };

/** A staged, unsigned snapshot: the Release to sign, and what identifies it. */
export interface SnapshotToSign {
  number: number;
  suite: string;
  commit: string;
  base?: number;
  rollbackOf?: number;
  release: string;
  releaseSha256: string;
  /** Index files the signer signs detached besides the Release (pacman's databases), listed in it, base64. */
  databases?: Array<{ path: string; base64: string }>;
  trustedComment: string;
  /** How many publish targets the branch has (config), run after the switch. */
  targets: number;
}

export interface PublishTargetResult {
  target: number;
  ok: boolean;
  detail?: string;
  error?: string;
}

export interface PublishResult {
  /** published: current switched (targets may still fail); skipped: older than what is published; failed: nothing switched. */
  outcome: 'published' | 'skipped' | 'failed';
  snapshot?: number;
  commit?: string;
  /** Every configured target's last result; the repository is published even when one fails. */
  targets: PublishTargetResult[];
  error?: { type: string; message: string };
  reason?: string;
}
