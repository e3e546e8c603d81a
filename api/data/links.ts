import type { KilnConfig } from '../../domain/config';
import type { PushRef } from '../../domain/data-layout';

// The URLs the API hands out, built in one place: paths from the API's root (prefix `config.api.publicUrl` for an
// absolute URL) unless the name says otherwise. A branch may contain '/': in a URL it is one percent-encoded segment
// (`release%2F1.x`).

const seg = encodeURIComponent;

export function pushUrl(push: PushRef): string {
  return `/api/pushes/${seg(push.tree)}/${seg(push.branch)}/${push.commit}`;
}

export function buildLogUrl(push: PushRef, source: string, arch: string): string {
  return `/api/logs/${seg(push.tree)}/${seg(push.branch)}/${push.commit}/${seg(source)}/${seg(arch)}`;
}

export function snapshotUrl(tree: string, branch: string, number: number): string {
  return `/api/repos/${seg(tree)}/${seg(branch)}/snapshots/${number}`;
}

/** A rollback's outcome in this API (`requestId`: the last segment of its workflow ID). */
export function rollbackUrl(tree: string, branch: string, requestId: string): string {
  return `/api/repos/${seg(tree)}/${seg(branch)}/rollbacks/${seg(requestId)}`;
}

/** Where apt reads the branch's published repository (the `deb` line's URL). */
export function repositoryUrl(config: KilnConfig, tree: string, branch: string): string {
  return `${config.api.publicUrl}/repos/${seg(tree)}/${seg(branch)}/`;
}

/** The workflow in the Temporal web UI. */
export function temporalWorkflowUrl(config: KilnConfig, workflowId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${seg(config.temporal.namespace)}/workflows/${seg(workflowId)}`;
}
