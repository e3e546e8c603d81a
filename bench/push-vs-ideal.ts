import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonIfExists } from '../domain/atomic-file';
import type { BuildRecord } from '../activities/builder/build-package';
import { currentHead } from '../activities/git/tree-source';
import type { BuildStatus } from '../domain/build-graph';
import { DataLayout } from '../domain/data-layout';
import { PROJECT_ROOT } from '../domain/project-paths';
import type { Plan, PushResult } from '../domain/push';
import { writeFixturePackage } from '../test/helpers/deb-fixtures';
import { PortsRepo } from '../test/helpers/ports-repo';
import type { BenchContext } from './lib/context';
import { startKiln } from './lib/kiln-stack';
import { figure, note } from './lib/report';
import { pushResult } from './orchestration';

// A push against its ideal: the wall time of its build phase (first build started to last build finished) over
// max(sum of build times ÷ build slots, the critical path). On the no-op backend with builds that take a set time,
// so the figure is Kiln's scheduling alone: a DAG where declaration (ID) order starts the longest build last.
// The first push runs in ID order (every package's recorded duration is the same, so ranks tie); the second, after
// every version changed (nothing reused), in longest-path-first order from the durations the first push recorded.

export interface IdealFigures {
  wallMs: number;
  idealMs: number;
  criticalMs: number;
}

/** The ideal of a finished push from its builds' own durations (the build, without Kiln around it). */
export function idealOf(builds: readonly BuildStatus[], durations: ReadonlyMap<string, number>, deps: ReadonlyMap<string, readonly string[]>, slots: number): IdealFigures {
  const started = Math.min(...builds.map((b) => b.startedAt!));
  const finished = Math.max(...builds.map((b) => b.finishedAt!));
  const sum = builds.reduce((n, b) => n + (durations.get(b.id) ?? 0), 0);
  const longest = new Map<string, number>();
  const chain = (id: string): number => {
    if (!longest.has(id)) longest.set(id, (durations.get(id) ?? 0) + Math.max(0, ...(deps.get(id) ?? []).map(chain)));
    return longest.get(id)!;
  };
  const criticalMs = Math.max(...builds.map((b) => chain(b.id)));
  return { wallMs: finished - started, idealMs: Math.max(sum / slots, criticalMs), criticalMs };
}

export async function pushVsIdeal(ctx: BenchContext): Promise<void> {
  await scheduling(ctx);
  // Real builds of the example tree take minutes on 2 cores: the full run only.
  if (!ctx.quick) await examplePush(ctx);
}

/**
 * The example tree (examples/ports, amd64 and i386), really built in Docker from a fresh data dir: its build phase
 * against the ideal from its own builds' container times (build records) and dependencies (the plan). What is above
 * 1× is Kiln around the builds (prepare, exchange, record, WIP repository) and the order builds started in.
 */
async function examplePush(ctx: BenchContext): Promise<void> {
  const ID = 'push-vs-ideal';
  const arches = ['amd64', 'i386'];
  const concurrency = 2;
  const stack = await startKiln(path.join(ctx.tmp, 'example'), [{ name: 'example', url: path.join(PROJECT_ROOT, 'examples', 'ports'), branches: ['main'], architectures: arches, concurrency }], { realBuilds: true });
  try {
    const layout = new DataLayout(stack.config.dataDir);
    const commit = await currentHead(stack.config.trees[0], layout, 'main');
    const { result } = await pushResult(stack, 'example', 'main', commit, 1_800_000);
    const done = await result;
    if (done.outcome !== 'succeeded') throw new Error(`the example push ended ${done.outcome}`);
    const plan = await readJsonIfExists<Plan>(layout.pushPlan(done.status.push));
    const deps = new Map((plan?.builds ?? []).map((b) => [b.id, b.deps]));
    const durations = new Map<string, number>();
    for (const b of done.status.builds) {
      const record = b.key ? await readJsonIfExists<BuildRecord>(layout.buildRecord(b.key)) : undefined;
      durations.set(b.id, record?.durationMs ?? 0);
    }
    const slots = concurrency * arches.length;
    const ideal = idealOf(done.status.builds, durations, deps, slots);
    note(ID, `example tree: ${done.status.builds.length} builds on ${slots} slots (${concurrency} per arch); container time ${([...durations.values()].reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s, critical path ${(ideal.criticalMs / 1000).toFixed(1)} s, ideal ${(ideal.idealMs / 1000).toFixed(1)} s, build phase ${(ideal.wallMs / 1000).toFixed(1)} s`);
    figure(ID, 'example tree (amd64, i386, real builds): build phase / ideal', ideal.wallMs / ideal.idealMs, '×', { op: '<=', value: 1.25 });
  } finally {
    await stack.stop();
  }
}

async function scheduling(ctx: BenchContext): Promise<void> {
  const ID = 'push-vs-ideal';
  const unit = ctx.quick ? 1000 : 3000;
  // Four quick builds, one long one whose name sorts last, and a chain of two: with 2 slots, ID order leaves the
  // long build for the end.
  const shape: Record<string, { units: number; deps?: string[] }> = {
    'kb-a1': { units: 1 }, 'kb-a2': { units: 1 }, 'kb-a3': { units: 1 }, 'kb-a4': { units: 1 },
    'kb-c1': { units: 1 }, 'kb-c2': { units: 1, deps: ['kb-c1'] },
    'kb-zz': { units: 5 },
  };
  const slots = 2;
  const repo = new PortsRepo({ fromExamples: false });
  const write = (version: string) => {
    for (const [name, s] of Object.entries(shape)) writeFixturePackage(repo.dir, { name, version, architecture: 'any', buildDepends: s.deps ?? [] });
    return repo.commit(`every package at ${version}`);
  };
  const stack = await startKiln(path.join(ctx.tmp, 'ideal'), [{ name: 'ideal', url: repo.dir, branches: ['main'], architectures: ['amd64'], concurrency: slots }], {
    buildMs: (job) => (shape[job.request.source]?.units ?? 1) * unit,
  });
  try {
    note(ID, `${Object.keys(shape).length} builds of 1-5 × ${unit} ms on ${slots} slots (no-op backend: the build is a sleep)`);
    // Ties: every package has the same recorded duration, so ranks differ by chain length only.
    const stats = path.join(stack.config.dataDir, 'stats');
    fs.mkdirSync(stats, { recursive: true });
    fs.writeFileSync(path.join(stats, 'ideal.durations.json'), JSON.stringify(Object.fromEntries(Object.keys(shape).map((n) => [`${n}/amd64`, unit]))));
    const deps = new Map(Object.entries(shape).map(([n, s]) => [`${n}/amd64`, (s.deps ?? []).map((d) => `${d}/amd64`)]));
    const durations = new Map(Object.entries(shape).map(([n, s]) => [`${n}/amd64`, s.units * unit]));
    const run = async (version: string): Promise<IdealFigures> => {
      const { result } = await pushResult(stack, 'ideal', 'main', write(version), 300_000);
      const done: PushResult = await result;
      if (done.outcome !== 'succeeded') throw new Error(`the push ended ${done.outcome}`);
      return idealOf(done.status.builds, durations, deps, slots);
    };
    const byId = await run('1.0');
    figure(ID, 'declaration order: build phase / ideal', byId.wallMs / byId.idealMs, '×');
    const ranked = await run('1.1');
    note(ID, `ideal ${(ranked.idealMs / 1000).toFixed(1)} s (critical path ${(ranked.criticalMs / 1000).toFixed(1)} s); declaration order ${(byId.wallMs / 1000).toFixed(1)} s, longest path first ${(ranked.wallMs / 1000).toFixed(1)} s`);
    figure(ID, 'longest path first: build phase / ideal', ranked.wallMs / ranked.idealMs, '×', { op: '<=', value: 1.25 });
    figure(ID, 'longest path first speedup over declaration order', byId.wallMs / ranked.wallMs, '×', { op: '>', value: 1 });
  } finally {
    await stack.stop();
    repo.cleanup();
  }
}
