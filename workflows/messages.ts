import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BuildStatus } from '../domain/build-graph';
import type { PublishRequest, PublishResult } from '../domain/publish/publish';
import type { PushStatus } from '../domain/push';

// Every signal and query, defined once: workflows, workers, API and CLI import these, never retype the names.

export interface RetryRequest {
  /** Narrow to one source package and/or one arch; nothing = every failed build. */
  source?: string;
  arch?: string;
}

export interface SupersedeRequest {
  by: string;
  /** Identities (buildIdentity) of builds the newer push wants: in-flight ones are finished, not cancelled. */
  wanted: string[];
}

export const retrySignal = defineSignal<[RetryRequest]>('retry');
export const cancelSignal = defineSignal<[{ reason?: string }]>('cancel');
export const supersedeSignal = defineSignal<[SupersedeRequest]>('supersede');
export const pushStatusQuery = defineQuery<PushStatus>('status');

/** Child → parent: build states that changed, and the end of an arch. */
export const buildsChangedSignal = defineSignal<[BuildStatus[]]>('buildsChanged');
export const archStateSignal = defineSignal<[{ arch: string; state: 'building' | 'failed' | 'succeeded' | 'cancelled' | 'superseded' }]>('archState');
/** Parent → child: a build of another arch that this arch depends on changed state. */
export const externalBuildSignal = defineSignal<[{ id: string; state: string }]>('externalBuild');
export const archStatusQuery = defineQuery<BuildStatus[]>('archStatus');

/** Branch coordinator. */
export const pushRequestedSignal = defineSignal<[{ commit: string; requestedBy: string }]>('pushRequested');
export const pushFinishedSignal = defineSignal<[{ workflowId: string; outcome: string }]>('pushFinished');

/** Publishing: a push (or a rollback) asks its branch coordinator, which publishes one at a time and answers. */
export const publishRequestedSignal = defineSignal<[PublishRequest]>('publishRequested');
export const publishFinishedSignal = defineSignal<[PublishResult]>('publishFinished');
/** Starts a branch coordinator that is not running yet (signal-with-start) without asking it anything. */
export const wakeSignal = defineSignal('wake');
