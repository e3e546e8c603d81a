import type { PlannedBuild } from '../build-graph';

// Longest-path-first scheduling: a ready build's rank is the time from its start to the end of the longest chain of
// builds that wait on it (its own duration included), from the durations earlier builds of the same package took.
// Starting the highest rank first keeps the critical path busy; declaration order can leave it for last. Pure.

/** `<source>/<arch>` → how long its last build took, in ms. */
export type BuildDurations = Readonly<Record<string, number>>;

/** What a build of unknown duration is taken to cost: the median of the known ones, else one minute. */
export function typicalDuration(durations: BuildDurations): number {
  const known = Object.values(durations).filter((ms) => Number.isFinite(ms) && ms >= 0).sort((a, b) => a - b);
  return known.length === 0 ? 60_000 : known[Math.floor(known.length / 2)];
}

/** Each build's rank (ms): its duration plus the longest rank among the builds of the plan that depend on it. */
export function rankBuilds(builds: readonly PlannedBuild[], durations: BuildDurations): Map<string, number> {
  const typical = typicalDuration(durations);
  const dependents = new Map<string, string[]>();
  for (const b of builds) for (const dep of b.deps) dependents.set(dep, [...(dependents.get(dep) ?? []), b.id]);
  const byId = new Map(builds.map((b) => [b.id, b]));
  const ranks = new Map<string, number>();
  const visiting = new Set<string>();
  const rank = (id: string): number => {
    const known = ranks.get(id);
    if (known !== undefined) return known;
    // Planning refuses cycles; should one slip through, it ends the walk instead of recursing for ever.
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const build = byId.get(id)!;
    const own = durations[`${build.source}/${build.arch}`] ?? typical;
    const after = Math.max(0, ...(dependents.get(id) ?? []).filter((d) => byId.has(d)).map(rank));
    visiting.delete(id);
    ranks.set(id, Math.round(own + after));
    return ranks.get(id)!;
  };
  for (const b of builds) rank(b.id);
  return ranks;
}
