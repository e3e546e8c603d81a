import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchContext } from './lib/context';
import { startKiln } from './lib/kiln-stack';
import { makeTree, packageName } from './lib/ports-tree';
import { figure, median, note } from './lib/report';
import { pushResult } from './orchestration';

// One push of many builds (the 10,000: 10 arches × 1,000 packages; Debian has three arches Kiln builds, so
// here it is 3 × 3,334), on the no-op backend, with dependency chains of 10. It must complete and publish, Temporal
// must not warn about any workflow's history, and the process running Kiln must stay under 500 MB. The stack runs in
// this one process (orchestrator, signer, API and the no-op build workers), so its RSS is an upper bound of the
// orchestrator's.

const ARCHES = ['amd64', 'i386', 'arm64'];
const HISTORY_WARNING = /exceeds (warn|error) limit|history (size|count).*limit/i;

export async function largePush(ctx: BenchContext): Promise<void> {
  const ID = 'large-push';
  const packages = ctx.sizes?.[0] ?? (ctx.quick ? 100 : 3334);
  const concurrency = 16;
  const repo = makeTree({ packages, chain: 10 });
  const dir = path.join(ctx.tmp, 'large');
  const stack = await startKiln(dir, [{ name: 'large', url: repo.dir, branches: ['main'], architectures: ARCHES, concurrency }]);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 500);
  try {
    const builds = packages * ARCHES.length;
    note(ID, `${builds} builds (${ARCHES.length} arches × ${packages} packages, chains of 10), ${concurrency} at a time per arch`);
    const started = Date.now();
    const { result } = await pushResult(stack, 'large', 'main', repo.git('rev-parse', 'HEAD'), 3 * 3600_000);
    const done = await result;
    const wallMs = Date.now() - started;
    const published = done.outcome === 'succeeded' && done.status.publish?.outcome === 'published';
    figure(ID, `push of ${builds} builds published (1 yes, 0 no)`, published ? 1 : 0, '', { op: '>=', value: 1 });
    const phase = done.status.builds;
    const buildMs = Math.max(...phase.map((b) => b.finishedAt ?? 0)) - Math.min(...phase.map((b) => b.startedAt ?? Infinity));
    figure(ID, 'builds per second (build phase)', (phase.length * 1000) / buildMs, 'builds/s');
    // Chains bound the concurrency (packages ÷ 10 chains per arch): a build's own time and the pause before its
    // dependent starts are what the push's length is made of.
    const byId = new Map(phase.map((b) => [`${b.source}/${b.arch}`, b]));
    const own = phase.filter((b) => b.startedAt !== undefined && b.finishedAt !== undefined).map((b) => b.finishedAt! - b.startedAt!);
    const gaps = phase.flatMap((b) => {
      const i = Number(b.source.slice(b.source.lastIndexOf('-') + 1));
      const before = i % 10 === 0 ? undefined : byId.get(`${packageName(i - 1)}/${b.arch}`);
      return before?.finishedAt !== undefined && b.startedAt !== undefined ? [b.startedAt - before.finishedAt] : [];
    });
    note(ID, `a build from its start to joining the WIP repository: median ${Math.round(median(own))} ms, max ${Math.max(...own)} ms; a dependent's start after its dependency joined: median ${Math.round(median(gaps))} ms`);
    figure(ID, 'push wall time (planned, built, published)', wallMs / 1000, 's');
    const log = fs.existsSync(path.join(dir, 'temporal.log')) ? fs.readFileSync(path.join(dir, 'temporal.log'), 'utf8') : '';
    const warnings = log.split('\n').filter((l) => HISTORY_WARNING.test(l));
    if (warnings.length > 0) note(ID, `first history warning: ${warnings[0].slice(0, 300)}`);
    figure(ID, 'history warnings from Temporal', warnings.length, '', { op: '<=', value: 0 });
    figure(ID, 'peak RSS of the process running Kiln', peakRss / 1048576, 'MB', { op: '<', value: 500 });
  } finally {
    clearInterval(sampler);
    await stack.stop();
    repo.cleanup();
  }
}
