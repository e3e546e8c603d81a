import { describe, expect, it } from 'vitest';
import { BuildGraph, type PlannedBuild } from '../../../domain/build-graph';
import { rankBuilds, typicalDuration } from '../../../domain/plan/critical-path';

// Longest-path-first: ranks from earlier durations, the order ready() hands builds out in, and (simulated with the
// real BuildGraph and a concurrency cap) that it shortens a push that declaration order makes long.

const build = (source: string, deps: string[] = []): PlannedBuild => ({
  id: `${source}/amd64`, source, version: '1', arch: 'amd64', scope: 'any', treeHash: 'h', deps: deps.map((d) => `${d}/amd64`),
});

/** Wall time of running the graph with `slots` builds at once, always starting the first ready build. */
function makespan(builds: PlannedBuild[], seconds: Record<string, number>, slots: number): number {
  const graph = new BuildGraph(builds);
  const running = new Map<string, number>(); // id → finish time
  let now = 0;
  for (;;) {
    for (let next = graph.ready()[0]; next && running.size < slots; next = graph.ready()[0]) {
      graph.start(next.id, now);
      running.set(next.id, now + seconds[next.source]);
    }
    if (running.size === 0) return now;
    const [id, end] = [...running].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0];
    now = end;
    running.delete(id);
    graph.succeed(id, now, { key: id, cached: false, artifacts: [] });
  }
}

describe('rankBuilds', () => {
  it('is a build\'s own duration plus the longest chain that waits on it', () => {
    const builds = [build('lib'), build('mid', ['lib']), build('app', ['mid']), build('tool', ['lib'])];
    const ranks = rankBuilds(builds, { 'lib/amd64': 10, 'mid/amd64': 20, 'app/amd64': 30, 'tool/amd64': 5 });
    expect(Object.fromEntries(ranks)).toEqual({ 'lib/amd64': 60, 'mid/amd64': 50, 'app/amd64': 30, 'tool/amd64': 5 });
  });

  it('takes the median of the known durations for a package never built, one minute with none known', () => {
    expect(typicalDuration({ 'a/amd64': 1, 'b/amd64': 7, 'c/amd64': 100 })).toBe(7);
    expect(typicalDuration({})).toBe(60_000);
    const ranks = rankBuilds([build('new'), build('old')], { 'old/amd64': 4 });
    expect(ranks.get('new/amd64')).toBe(4);
  });

  it('survives a dependency cycle (planning refuses them) without recursing for ever', () => {
    const ranks = rankBuilds([build('a', ['b']), build('b', ['a'])], {});
    expect(ranks.size).toBe(2);
  });
});

describe('BuildGraph.ready with ranks', () => {
  // Four quick independent builds sort before a long chain by ID; the chain is the critical path.
  const seconds = { a1: 10, a2: 10, a3: 10, a4: 10, zlib: 30, zapp: 30 };
  const plan = () => [build('a1'), build('a2'), build('a3'), build('a4'), build('zlib'), build('zapp', ['zlib'])];

  it('hands out the highest rank first, then by ID; without ranks, by ID as before', () => {
    const unranked = new BuildGraph(plan());
    expect(unranked.ready().map((b) => b.source)).toEqual(['a1', 'a2', 'a3', 'a4', 'zlib']);
    const builds = plan();
    const ranks = rankBuilds(builds, Object.fromEntries(Object.entries(seconds).map(([s, v]) => [`${s}/amd64`, v])));
    for (const b of builds) b.rankMs = ranks.get(b.id);
    expect(new BuildGraph(builds).ready().map((b) => b.source)).toEqual(['zlib', 'a1', 'a2', 'a3', 'a4']);
  });

  it('shortens the push: the long chain starts first instead of last', () => {
    const byId = makespan(plan(), seconds, 2);
    const builds = plan();
    const ranks = rankBuilds(builds, Object.fromEntries(Object.entries(seconds).map(([s, v]) => [`${s}/amd64`, v])));
    for (const b of builds) b.rankMs = ranks.get(b.id);
    const longestFirst = makespan(builds, seconds, 2);
    // Ideal: max(total / slots = 50, critical path = 60) = 60.
    expect(longestFirst).toBe(60);
    expect(byId).toBe(80);
  });
});
