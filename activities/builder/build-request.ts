import type { BuildSpec, BuiltArtifact, DeclaredBinary } from '../../domain/build';
import type { BuildInputs, LogTarget, UploadedResult } from '../../domain/build-exchange';
import type { PushRef } from '../../domain/data-layout';

export interface BuildLimits {
  timeoutMinutes: number;
  memoryMb: number;
  cpus: number;
  pids: number;
  /** Absent in requests of pushes planned before these limits existed: the defaults apply. */
  diskMb?: number;
  logMaxMb?: number;
  /** Free space (MiB) the data dir must keep before the build may start; absent: the default. */
  minFreeMb?: number;
  network?: boolean;
}

export interface BuildRequest extends BuildSpec {
  push: PushRef;
  limits: BuildLimits;
  /** The recipe's declared binary packages: the only ones the build may produce. */
  binaries?: DeclaredBinary[];
}

/** What a build leaves on disk, once, under builds/<key>.json: the source of truth that a key was built. */
export interface BuildRecord {
  key: string;
  spec: BuildSpec;
  image: string;
  /** `stanza`: the format's index entry (Debian: Packages stanza; pacman: desc); `contents`: its files list, if any. */
  artifacts: Array<BuiltArtifact & { stanza: string; contents?: string }>;
  files: Array<{ name: string; sha256: string; size: number }>;
  builtAt: string;
  durationMs: number;
  log: string;
}

/** What a build worker gets: the request, its key, and its inputs as digests in the store. */
export interface WorkerBuildRequest {
  request: BuildRequest;
  key: string;
  inputs: BuildInputs;
  log: LogTarget;
}

/** What a build worker hands back: the files it uploaded (not yet validated) and how long the build took. */
export interface WorkerBuildResult {
  key: string;
  results: UploadedResult[];
  durationMs: number;
  /** The worker that built it (its hostname), for the record. */
  worker: string;
}

/** What preparing a build finds: the key already built (its outcome), or the inputs of a build to run. */
export type PreparedBuild =
  | { key: string; cached: true; outcome: import('../../domain/build').BuildOutcome }
  | { key: string; cached: false; build: WorkerBuildRequest }
  /** The data dir is below `build.minFreeMb`: the build does not start; the workflow looks again later. */
  | { key: string; cached: false; lowDisk: { freeMb: number; minFreeMb: number } };
