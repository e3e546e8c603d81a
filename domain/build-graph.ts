import type { BinaryScope, BuiltArtifact, DeclaredBinary } from './build';

// The build DAG of one architecture of a push, as the per-arch workflow runs it. Pure and deterministic: workflow
// code drives it, unit tests prove it.

export interface PlannedBuild {
  /** `<source>/<arch>`: unique within a push. */
  id: string;
  source: string;
  version: string;
  arch: string;
  scope: BinaryScope;
  treeHash: string;
  /** Builds (of this push, any arch) whose results this one needs installed. */
  deps: string[];
  /** What the recipe declares: a build may produce these packages only. Absent in pushes planned before. */
  binaries?: DeclaredBinary[];
  /** Longest-path-first rank (domain/plan/critical-path.ts): higher starts first. Absent in pushes planned before. */
  rankMs?: number;
  /** This build also makes the source package (Debian: .dsc and tarball). Absent: it does not. */
  withSource?: boolean;
}

export type BuildState = 'waiting' | 'building' | 'succeeded' | 'failed' | 'cancelled';

export interface BuildStatus {
  id: string;
  source: string;
  version: string;
  arch: string;
  state: BuildState | 'blocked';
  /** 1 on the first run; each manual retry adds one. */
  attempt: number;
  startedAt?: number;
  finishedAt?: number;
  key?: string;
  cached?: boolean;
  artifacts?: BuiltArtifact[];
  error?: { type: string; message: string };
  /** For a blocked build: the failed builds it waits on. */
  blockedBy?: string[];
  /** Why a build that started does not run yet (for example: waiting for disk space). */
  note?: string;
}

interface Entry {
  build: PlannedBuild;
  state: BuildState;
  attempt: number;
  startedAt?: number;
  finishedAt?: number;
  key?: string;
  cached?: boolean;
  artifacts?: BuiltArtifact[];
  error?: { type: string; message: string };
  note?: string;
}

export type EntrySnapshot = Omit<Entry, 'build'> & { id: string };

export class BuildGraph {
  private readonly entries = new Map<string, Entry>();
  /** States of builds this graph depends on but another arch runs: `succeeded`, `failed`, or anything else. */
  private readonly external = new Map<string, string>();

  constructor(builds: PlannedBuild[], snapshot: EntrySnapshot[] = [], external: Record<string, string> = {}) {
    for (const build of builds) this.entries.set(build.id, { build, state: 'waiting', attempt: 1 });
    for (const { id, ...rest } of snapshot) {
      const entry = this.entries.get(id);
      // A build in flight when the history was cut restarts as waiting: its activity result went to the old run.
      if (entry) Object.assign(entry, rest, rest.state === 'building' ? { state: 'waiting', note: undefined } : {});
    }
    for (const [id, state] of Object.entries(external)) this.external.set(id, state);
  }

  /** Dependencies that live on another arch's graph (the parent forwards their states). */
  externalDeps(): string[] {
    const ids = new Set<string>();
    for (const { build } of this.entries.values()) for (const dep of build.deps) if (!this.entries.has(dep)) ids.add(dep);
    return [...ids].sort();
  }

  setExternal(id: string, state: string): void {
    this.external.set(id, state);
  }

  private depState(id: string): string {
    return this.entries.get(id)?.state ?? this.external.get(id) ?? 'waiting';
  }

  /** Failed builds that this one transitively waits on (empty: not blocked). */
  blockers(id: string, seen = new Set<string>()): string[] {
    const entry = this.entries.get(id);
    if (!entry) return [];
    const found = new Set<string>();
    for (const dep of entry.build.deps) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      const state = this.depState(dep);
      if (state === 'failed' || state === 'cancelled') found.add(dep);
      else if (state !== 'succeeded') for (const b of this.blockers(dep, seen)) found.add(b);
    }
    return [...found].sort();
  }

  /**
   * Waiting builds whose dependencies all succeeded: the longest path first (highest rank), then by ID. Plans made
   * before ranks have none, so their pushes replay in the ID order they ran in.
   */
  ready(): PlannedBuild[] {
    return [...this.entries.values()]
      .filter((e) => e.state === 'waiting' && e.build.deps.every((d) => this.depState(d) === 'succeeded'))
      .map((e) => e.build)
      .sort((a, b) => (b.rankMs ?? 0) - (a.rankMs ?? 0) || a.id.localeCompare(b.id));
  }

  get(id: string): PlannedBuild | undefined {
    return this.entries.get(id)?.build;
  }

  start(id: string, now: number): void {
    const e = this.must(id);
    Object.assign(e, { state: 'building', startedAt: now, finishedAt: undefined, error: undefined, note: undefined });
  }

  /** Says (or, with undefined, stops saying) why a started build does not run yet. */
  note(id: string, text: string | undefined): void {
    this.must(id).note = text;
  }

  succeed(id: string, now: number, result: { key: string; cached: boolean; artifacts: BuiltArtifact[] }): void {
    Object.assign(this.must(id), { state: 'succeeded', finishedAt: now, note: undefined, ...result });
  }

  fail(id: string, now: number, error: { type: string; message: string }): void {
    Object.assign(this.must(id), { state: 'failed', finishedAt: now, note: undefined, error });
  }

  cancel(id: string, now: number): void {
    const e = this.must(id);
    if (e.state === 'building' || e.state === 'waiting') Object.assign(e, { state: 'cancelled', finishedAt: now, note: undefined });
  }

  /** Failed (or cancelled) builds go back to waiting, each one attempt further; `ids` narrows it. */
  retry(ids?: string[]): string[] {
    const retried: string[] = [];
    for (const e of this.entries.values()) {
      if ((e.state === 'failed' || e.state === 'cancelled') && (!ids || ids.includes(e.build.id))) {
        Object.assign(e, { state: 'waiting', attempt: e.attempt + 1, error: undefined, startedAt: undefined, finishedAt: undefined });
        retried.push(e.build.id);
      }
    }
    return retried.sort();
  }

  building(): string[] {
    return [...this.entries.values()].filter((e) => e.state === 'building').map((e) => e.build.id);
  }

  /** Every build succeeded. */
  complete(): boolean {
    return [...this.entries.values()].every((e) => e.state === 'succeeded');
  }

  /** Nothing runs and nothing can start: every remaining build failed or waits on a failure. */
  stuck(): boolean {
    return !this.complete() && this.building().length === 0 && this.ready().length === 0
      && [...this.entries.values()].every((e) => e.state !== 'waiting' || this.blockers(e.build.id).length > 0);
  }

  status(id: string): BuildStatus {
    const e = this.must(id);
    const blockedBy = e.state === 'waiting' ? this.blockers(id) : [];
    return {
      id, source: e.build.source, version: e.build.version, arch: e.build.arch,
      state: blockedBy.length > 0 ? 'blocked' : e.state,
      attempt: e.attempt, startedAt: e.startedAt, finishedAt: e.finishedAt, key: e.key, cached: e.cached,
      artifacts: e.artifacts, error: e.error, ...(blockedBy.length > 0 ? { blockedBy } : {}), ...(e.note ? { note: e.note } : {}),
    };
  }

  statuses(): BuildStatus[] {
    return [...this.entries.keys()].sort().map((id) => this.status(id));
  }

  snapshot(): EntrySnapshot[] {
    return [...this.entries.values()].map(({ build, ...rest }) => ({ id: build.id, ...rest }));
  }

  externalStates(): Record<string, string> {
    return Object.fromEntries(this.external);
  }

  private must(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new Error(`no build ${id} in this graph`);
    return e;
  }
}
