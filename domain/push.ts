import type { FormatId } from './formats/format';
import type { BuildStatus, EntrySnapshot, PlannedBuild } from './build-graph';
import type { PushRef } from './data-layout';
import type { PublishResult } from './publish/publish';
import type { InstallTestStatus } from './install-test';

// The shapes a push's workflows exchange: small (ids, paths, digests), never file contents or logs.

export interface BuildLimitsInput {
  concurrency: number;
  timeoutMinutes: number;
  memoryMb: number;
  cpus: number;
  pids: number;
  /** Optional: absent in pushes planned before Kiln had these limits (the build worker's defaults apply). */
  diskMb?: number;
  logMaxMb?: number;
  minFreeMb?: number;
  network?: boolean;
  /** true: the push install-tests every build before it may publish. Absent in pushes planned before: no stage. */
  installTest?: boolean;
}

export interface PlanError {
  /** Package directory in the tree. */
  dir: string;
  source?: string;
  code: string;
  message: string;
}

export interface Plan {
  push: PushRef;
  /** The tree's package format; absent in plans made before Kiln had more than Debian. */
  format?: FormatId;
  suite: string;
  arches: string[];
  builds: PlannedBuild[];
  /** Packages already in the branch's repository at the planned version. */
  unchanged: Array<{ source: string; version: string }>;
  /** Source packages the repository has and the tree no longer does. */
  deleted: string[];
  errors: PlanError[];
  /** The tree's build limits at planning time. */
  limits: BuildLimitsInput;
}

/** `requestedBy` of pushes that webhooks start (`webhook` or `webhook:<pusher>`); operators are `api:<token>`. */
export function webhookRequester(pusher?: string): string {
  return pusher ? `webhook:${pusher}` : 'webhook';
}

export function isWebhookRequester(requestedBy: string): boolean {
  return requestedBy === 'webhook' || requestedBy.startsWith('webhook:');
}

export interface PushInput {
  push: PushRef;
  requestedBy: string;
  /** Older pushes of the branch still running: told to stop once this push knows what it wants. */
  supersedes?: string[];
  /** Arrival number on the branch (from its coordinator): publishing never goes back to a lower one. */
  seq?: number;
}

export type PushState =
  | 'planning'
  | 'building'
  | 'failed'        // failed: awaiting retry or cancel
  | 'testing'       // every build succeeded; the install test runs (before any publish)
  | 'publishing'    // every build succeeded; the branch is publishing it
  | 'succeeded'     // built and published (status.publish says where, and whether a target is failing)
  | 'cancelling'
  | 'cancelled'
  | 'superseded';

export interface ArchSummary {
  arch: string;
  workflowId: string;
  state: 'building' | 'failed' | 'succeeded' | 'cancelled' | 'superseded';
}

export interface PushStatus {
  workflowId: string;
  push: PushRef;
  state: PushState;
  requestedBy: string;
  startedAt: number;
  finishedAt?: number;
  supersededBy?: string;
  plan?: { builds: number; unchanged: number; deleted: string[]; errors: PlanError[] };
  arches: ArchSummary[];
  builds: Array<BuildStatus & { log: string }>;
  /** The install test of each build, once the push reached that stage (absent: not yet, or turned off). */
  installTests?: InstallTestStatus[];
  /** The publish's outcome, once the branch answered. */
  publish?: PublishResult;
}

export interface PushResult {
  outcome: 'succeeded' | 'cancelled' | 'superseded';
  status: PushStatus;
}

export interface ArchBuildInput {
  push: PushRef;
  format?: FormatId;
  suite: string;
  arch: string;
  parentWorkflowId: string;
  builds: PlannedBuild[];
  limits: BuildLimitsInput;
  /** Carried over continue-as-new. */
  snapshot?: EntrySnapshot[];
  external?: Record<string, string>;
  stopping?: { wanted: string[] };
}

export interface ArchBuildResult {
  arch: string;
  outcome: 'succeeded' | 'superseded';
}

/** Identity of a build independent of the push: what a superseding push compares. */
export function buildIdentity(b: Pick<PlannedBuild, 'arch' | 'scope' | 'treeHash'>): string {
  return `${b.arch}:${b.scope}:${b.treeHash}`;
}

/** Log path relative to the data dir, as the API serves it. */
export function buildLogPath(push: PushRef, source: string, arch: string): string {
  return `logs/${push.tree}/${encodeURIComponent(push.branch)}/${push.commit}/${source}/${arch}.log`;
}
