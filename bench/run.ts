import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { firstBuild } from './first-build';
import { largePush } from './large-push';
import { pushVsIdeal } from './push-vs-ideal';
import type { BenchContext } from './lib/context';
import { recordedFigures, type Figure } from './lib/report';
import { concurrentPushes, orchestrationOverhead } from './orchestration';
import { publishScale } from './publish-scale';

// `npm run bench [-- --quick] [--only <id>] [--sizes 1000,20000]`: every benchmark in turn, one line per figure, then a summary of the
// goals. Exit code 1 when a goal fails or a benchmark breaks, so a run can gate a change.

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<void>> = {
  'orchestration-overhead': orchestrationOverhead,
  'concurrent-pushes': concurrentPushes,
  'publish-scale': publishScale,
  'first-build': firstBuild,
  'push-vs-ideal': pushVsIdeal,
  'large-push': largePush,
};

async function main(): Promise<number> {
  const { values } = parseArgs({ options: {
    quick: { type: 'boolean', default: false }, only: { type: 'string', multiple: true }, sizes: { type: 'string' },
    // Internal: run the one benchmark named and leave its figures in this file for the run that started it.
    'figures-to': { type: 'string' },
  } });
  const sizes = values.sizes?.split(',').map(Number);
  if (sizes?.some((n) => !Number.isInteger(n) || n < 10)) {
    console.error(`kiln bench: --sizes takes a comma-separated list of whole numbers of 10 or more, not ${JSON.stringify(values.sizes)}`);
    return 2;
  }
  const chosen = values.only?.length ? values.only : Object.keys(BENCHMARKS);
  const unknown = chosen.filter((id) => !BENCHMARKS[id]);
  if (unknown.length) {
    console.error(`kiln bench: no benchmark named ${unknown.join(', ')}; there are: ${Object.keys(BENCHMARKS).join(', ')}`);
    return 2;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-bench-'));
  const started = Date.now();
  let broken = 0;
  const figures: Figure[] = [];
  try {
    if (values['figures-to']) {
      broken = await runHere(chosen[0], { quick: values.quick, tmp, ...(sizes ? { sizes } : {}) });
      fs.writeFileSync(values['figures-to'], JSON.stringify({ figures: recordedFigures(), broken }));
      return broken ? 1 : 0;
    }
    // Each benchmark in a process of its own: what one leaves behind (heap, handles, a Temporal runtime) must not
    // weigh on the next one's figures (the large push's peak RSS above all).
    for (const id of chosen) {
      const file = path.join(tmp, `${id}.figures.json`);
      const args = [__filename, '--only', id, '--figures-to', file, ...(values.quick ? ['--quick'] : []), ...(values.sizes ? ['--sizes', values.sizes] : [])];
      const code = await new Promise<number>((resolve) => {
        spawn(process.execPath, args, { stdio: 'inherit' }).once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
      });
      const result = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as { figures: Figure[]; broken: number } : undefined;
      if (!result) console.error(`bench ${id}: BROKEN: its process exited with code ${code} before reporting`);
      figures.push(...(result?.figures ?? []));
      broken += result ? result.broken : 1;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const goals = figures.filter((f) => f.goal);
  const failed = goals.filter((f) => !f.pass);
  console.log(`bench: ${goals.length - failed.length} of ${goals.length} goals pass, ${broken} benchmark(s) broken, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const f of failed) console.log(`bench: FAIL ${f.bench}: ${f.name}`);
  return failed.length || broken ? 1 : 0;
}

// A benchmark that gave up on a push stops its stack with long polls still retrying; their client's retry timer then
// throws on the closed channel. That is the end of a benchmark already reported broken, not a reason to stop the run.
process.on('uncaughtException', (err) => {
  if (err.message === 'Channel has been shut down') return;
  console.error(err);
  process.exit(1);
});

async function runHere(id: string, ctx: BenchContext): Promise<number> {
  const t0 = Date.now();
  console.log(`bench ${id}: # started${ctx.quick ? ' (quick)' : ''}`);
  try {
    await BENCHMARKS[id](ctx);
    return 0;
  } catch (err) {
    console.error(`bench ${id}: BROKEN: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return 1;
  } finally {
    console.log(`bench ${id}: # took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
}

main().then((code) => process.exit(code), (err: unknown) => { console.error(err); process.exit(1); });
