// What travels between the orchestrator and a build worker that shares no disk with it: digests and small records
// only (Temporal payloads stay far below their 2 MiB limit); the bytes go through the API's blob exchange.
import type { PushRef } from './data-layout';

/** A blob in the artifact store, named by its SHA-256. */
export interface BlobRef {
  sha256: string;
  size: number;
}

/** One file of a build's WIP view, at `path` (relative to the view's root, e.g. `amd64/Packages`). */
export interface ViewFile extends BlobRef {
  path: string;
}

/** The blob a WIP view manifest is stored as: every file the build mounts at /wip. */
export interface WipViewManifest {
  files: ViewFile[];
}

/** Where a build's (or install test's) log goes: the API appends what the worker ships to this build's log. */
export interface LogTarget {
  push: PushRef;
  source: string;
  arch: string;
}

/** The inputs of one build or install test, as the orchestrator made them ready in the store. */
export interface BuildInputs {
  /** The builder image (the worker checks it has it). */
  image: string;
  /** The recipe at its tree hash, as a tar archive (made once per tree hash). */
  recipe: BlobRef;
  /** The push's WIP lanes for the arch, frozen now; absent when the push has no WIP repository yet. */
  wip?: BlobRef;
}

/** A file a build made, uploaded to the store; the orchestrator validates it before it is recorded. */
export interface UploadedResult extends BlobRef {
  name: string;
}

export const DIGEST_PATTERN = /^[0-9a-f]{64}$/;

/** A path inside a WIP view: lane/file, plain names only (no '.', '..', slashes or control characters). */
export const VIEW_PATH_PATTERN = /^(?:[A-Za-z0-9_+~-][A-Za-z0-9._+~:-]*\/)?[A-Za-z0-9_+~-][A-Za-z0-9._+~:@-]*$/;

/** The API path of a build's log, below /api/worker/logs/ (and /api/logs/ for reading it). */
export function logUrlPath(target: LogTarget): string {
  const { tree, branch, commit } = target.push;
  return [tree, branch, commit, target.source, target.arch].map(encodeURIComponent).join('/');
}
