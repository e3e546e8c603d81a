import { forgeCommitUrl } from '../../domain/report/push-report';
import type { KilnConfig } from '../../domain/config';
import type { PushRef } from '../../domain/data-layout';
import type { PushStatus } from '../../domain/push';
import { installTestPending, type InstallTestStatus } from '../../domain/install-test';
import { pushWorkflowId } from '../../domain/workflow-ids';
import { buildLogUrl, pushUrl, temporalWorkflowUrl } from './links';
import type { PushControl } from './push-control';
import { countBuilds, FINAL_PUSH_STATES, type BuildCounts, type PushRecords } from './push-records';

// One push as the API and the UI show it: live from its workflow while that runs, else from its record.

export interface PushStatusView {
  status: PushStatus;
  /** `live`: asked the running workflow; `record`: read from disk (the workflow finished, or Temporal did not answer). */
  source: 'live' | 'record';
  running: boolean;
  recordedAt?: string;
  /** Why the live status could not be had, when Temporal was asked and failed. */
  liveError?: string;
}

/** The push's status, or undefined when neither a running workflow nor a record knows it. */
export async function pushStatusOf(records: PushRecords, control: PushControl | undefined, push: PushRef): Promise<PushStatusView | undefined> {
  const workflowId = pushWorkflowId(push.tree, push.branch, push.commit);
  let liveError: string | undefined;
  if (control) {
    try {
      const live = await control.liveStatus(workflowId);
      if (live) return { status: live, source: 'live', running: true };
    } catch (err) {
      liveError = err instanceof Error ? err.message : String(err);
    }
  }
  const record = await records.read(push);
  if (!record) return undefined;
  const { recordedAt, ...status } = record;
  // Without Temporal's answer, a push is taken as running unless its record says it ended.
  const running = liveError !== undefined || !control ? !FINAL_PUSH_STATES.includes(status.state) : false;
  return { status, source: 'record', running, recordedAt, liveError };
}

export interface BuildView {
  id: string;
  source: string;
  version: string;
  arch: string;
  state: PushStatus['builds'][number]['state'];
  attempt: number;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  key?: string;
  cached?: boolean;
  error?: { type: string; message: string };
  blockedBy?: string[];
  /** Why a started build does not run yet (waiting for disk space). */
  note?: string;
  artifacts?: Array<{ file: string; sha256: string; size: number; package: string; version: string; architecture: string }>;
  /** The build's install test, once the push reached that stage. */
  installTest?: Omit<InstallTestStatus, 'id' | 'source' | 'arch'>;
  /** The build log in this API (text, Range, tail, follow). */
  logUrl: string;
}

export interface PushDetail {
  workflowId: string;
  tree: string;
  branch: string;
  commit: string;
  state: PushStatus['state'];
  requestedBy: string;
  startedAt: number;
  finishedAt?: number;
  supersededBy?: string;
  source: PushStatusView['source'];
  running: boolean;
  recordedAt?: string;
  liveError?: string;
  plan?: PushStatus['plan'];
  arches: PushStatus['arches'];
  builds: BuildView[];
  buildCounts: BuildCounts;
  publish?: PushStatus['publish'];
  url: string;
  temporalUrl: string;
  /** The commit's page on the tree's forge (its commit statuses), when the tree has a forge. */
  forgeCommitUrl?: string;
}

export function pushDetail(config: KilnConfig, view: PushStatusView): PushDetail {
  const { status } = view;
  return {
    workflowId: status.workflowId,
    ...status.push,
    state: status.state,
    requestedBy: status.requestedBy,
    startedAt: status.startedAt,
    finishedAt: status.finishedAt,
    supersededBy: status.supersededBy,
    source: view.source,
    running: view.running,
    recordedAt: view.recordedAt,
    liveError: view.liveError,
    plan: status.plan,
    arches: status.arches ?? [],
    builds: (status.builds ?? []).map((b) => ({
      id: b.id,
      source: b.source,
      version: b.version,
      arch: b.arch,
      state: b.state,
      attempt: b.attempt,
      startedAt: b.startedAt,
      finishedAt: b.finishedAt,
      durationMs: b.startedAt !== undefined && b.finishedAt !== undefined ? b.finishedAt - b.startedAt : undefined,
      key: b.key,
      cached: b.cached,
      error: b.error,
      blockedBy: b.blockedBy,
      ...(b.note ? { note: b.note } : {}),
      artifacts: b.artifacts,
      installTest: testView(status.installTests?.find((t) => t.id === b.id)),
      logUrl: buildLogUrl(status.push, b.source, b.arch),
    })),
    buildCounts: countBuilds(status.builds ?? []),
    publish: status.publish,
    url: pushUrl(status.push),
    temporalUrl: temporalWorkflowUrl(config, status.workflowId),
    ...forgeLink(config, status.push),
  };
}

/** The commit on the tree's forge, where Kiln's commit status shows. */
function forgeLink(config: KilnConfig, push: PushRef): { forgeCommitUrl?: string } {
  const forge = config.trees.find((t) => t.name === push.tree)?.forge;
  const url = forge && forgeCommitUrl(forge, push.commit);
  return url ? { forgeCommitUrl: url } : {};
}

function testView(test: InstallTestStatus | undefined): BuildView['installTest'] {
  if (!test) return undefined;
  const { id: _id, source: _source, arch: _arch, ...view } = test;
  return view;
}

/**
 * Whether a build's log can still grow: its push runs and the build is waiting or building (or not planned yet), or
 * its install test will still run. A failed build's log grows again only after a retry: a follower can follow again.
 */
export function buildMayWrite(view: PushStatusView | undefined, source: string, arch: string): boolean {
  if (!view || !view.running) return false;
  const build = view.status.builds?.find((b) => b.source === source && b.arch === arch);
  if (!build) return view.status.state === 'planning';
  if (build.state === 'waiting' || build.state === 'building') return true;
  return installTestPending(view.status.installTests?.find((t) => t.source === source && t.arch === arch));
}
