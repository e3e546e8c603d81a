import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { BlobClient, readWorkerToken } from '../activities/exchange/blob-client';
import { ensureLocalWorkerToken } from '../api/auth/local-worker-token';
import { requestPush } from '../api/intake/request-push';
import type { PushResult, PushStatus } from '../domain/push';
import { pushStatusQuery } from '../workflows/messages';
import type { BenchContext } from './lib/context';
import { startKiln, type KilnStack } from './lib/kiln-stack';
import { makeTree, packageName } from './lib/ports-tree';
import { figure, note, timed } from './lib/report';
import { syntheticDeb } from './lib/synthetic-deb';

// Orchestration benchmarks, on the no-op build backend (no container: what is measured is Kiln around the builds).

const CONCURRENCY = 4;

export async function pushResult(stack: KilnStack, tree: string, branch: string, commit: string, timeoutMs: number): Promise<{ workflowId: string; result: Promise<PushResult> }> {
  const { workflowId } = await requestPush(stack.client, { tree, branch, commit }, 'bench');
  // A failed push waits for an operator's retry: give up after timeoutMs, saying where it stood.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      stack.client.workflow.getHandle(workflowId).query(pushStatusQuery).then(
        (s) => { console.error(`push ${workflowId} stuck: ${summary(s)}`); reject(new Error(`push ${workflowId} did not finish in time: ${summary(s)}`)); },
        (err: unknown) => reject(new Error(`push ${workflowId} did not finish in time (${String(err)})`)),
      );
    }, timeoutMs);
  });
  const finished = (async () => {
    for (let i = 0; ; i++) {
      try {
        return (await stack.client.workflow.getHandle(workflowId).result()) as PushResult;
      } catch (err) {
        if (i > 100 || !/not found/i.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
  const result = Promise.race([finished, deadline]).finally(() => clearTimeout(timer));
  result.catch((err: unknown) => console.error(`push ${workflowId}: ${causes(err)}`));
  return { workflowId, result };
}

/**
 * N independent single-package builds through the whole push workflow, against N bare activity round trips doing the
 * same build work (the no-op backend's: make a package, upload it) on the same server with the same concurrency.
 * The figure is the ratio of wall times of the build phase: Kiln's per-build cost over a bare round trip's.
 */
export async function orchestrationOverhead(ctx: BenchContext): Promise<void> {
  const ID = 'orchestration-overhead';
  const n = ctx.quick ? 24 : 120;
  const repo = makeTree({ packages: n });
  const stack = await startKiln(path.join(ctx.tmp, 'overhead'), [{ name: 'overhead', url: repo.dir, branches: ['main'], architectures: ['amd64'], concurrency: CONCURRENCY }]);
  try {
    note(ID, `${n} builds, ${CONCURRENCY} at a time, one arch`);
    const { result } = await pushResult(stack, 'overhead', 'main', repo.git('rev-parse', 'HEAD'), 600_000);
    const done = await result;
    if (done.outcome !== 'succeeded') throw new Error(`the push ended ${done.outcome}: ${JSON.stringify(done.status.builds.filter((b) => b.state !== 'succeeded')).slice(0, 1500)}`);
    const builds = done.status.builds;
    const kilnMs = Math.max(...builds.map((b) => b.finishedAt!)) - Math.min(...builds.map((b) => b.startedAt!));
    figure(ID, `kiln build phase per build (${n} builds, ${CONCURRENCY} slots)`, (kilnMs * CONCURRENCY) / n, 'ms');

    const bareMs = await bare(stack, n, path.join(ctx.tmp, 'overhead', 'bare'));
    figure(ID, `bare activity round trip per build (same work, same slots)`, (bareMs * CONCURRENCY) / n, 'ms');
    figure(ID, 'kiln per-build cost / bare round trip', kilnMs / bareMs, '×', { op: '<=', value: 1.2 });
  } finally {
    await stack.stop();
    repo.cleanup();
  }
}

async function bare(stack: KilnStack, n: number, dir: string): Promise<number> {
  fs.mkdirSync(dir, { recursive: true });
  const client = new BlobClient({ apiUrl: stack.apiUrl, token: readWorkerToken(await ensureLocalWorkerToken(stack.config.dataDir)) });
  const connection = await NativeConnection.connect({ address: stack.temporal.address });
  const taskQueue = 'bench-bare';
  const worker = await Worker.create({
    connection, namespace: 'default', taskQueue, maxConcurrentActivityTaskExecutions: CONCURRENCY,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows/bare-round-trips'), logger: new DefaultLogger('ERROR') }),
    activities: {
      async bareBuild(i: number): Promise<void> {
        const deb = syntheticDeb(`${packageName(i)}-bare`, '1.0');
        const file = path.join(dir, deb.file);
        fs.writeFileSync(file, deb.data);
        try { await client.upload(file, { sha256: deb.sha256, size: deb.data.length }); } finally { fs.rmSync(file, { force: true }); }
      },
    },
  });
  const running = worker.run();
  try {
    const { ms } = await timed(() => stack.client.workflow.execute('bareRoundTrips', {
      taskQueue, workflowId: `bench-bare-${Date.now()}`, args: [{ builds: n, concurrency: CONCURRENCY, taskQueue }],
    }));
    return ms;
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
}

/**
 * 50 pushes over 10 branches, requested as fast as the API takes them: every push ends published or superseded by a
 * later push of its branch that published; each branch publishes its commits in the order they were pushed; the last
 * push of every branch is what its repository serves.
 */
export async function concurrentPushes(ctx: BenchContext): Promise<void> {
  const ID = 'concurrent-pushes';
  const branches = Array.from({ length: ctx.quick ? 4 : 10 }, (_, i) => `b${i}`);
  const perBranch = ctx.quick ? 3 : 5;
  const repo = makeTree({ packages: 3 });
  const commits = new Map<string, string[]>();
  for (const branch of branches) {
    repo.git('checkout', '--quiet', '-B', branch, 'main');
    const list: string[] = [];
    for (let k = 1; k <= perBranch; k++) {
      repo.bumpVersion(packageName(k % 3), `1.${k}`);
      list.push(repo.commit(`${branch} push ${k}`));
    }
    commits.set(branch, list);
  }
  repo.git('checkout', '--quiet', 'main');
  const stack = await startKiln(path.join(ctx.tmp, 'concurrent'), [{ name: 'many', url: repo.dir, branches, architectures: ['amd64', 'i386'], concurrency: CONCURRENCY }]);
  try {
    note(ID, `${branches.length * perBranch} pushes over ${branches.length} branches, two arches`);
    const started = Date.now();
    const pushes: Array<{ branch: string; index: number; workflowId: string; result: Promise<PushResult> }> = [];
    // Round-robin over the branches, so every branch has pushes in flight at once.
    for (let k = 0; k < perBranch; k++) {
      for (const branch of branches) {
        const p = await pushResult(stack, 'many', branch, commits.get(branch)![k], ctx.quick ? 150_000 : 600_000);
        pushes.push({ branch, index: k, ...p });
      }
    }
    const outcomes = await Promise.all(pushes.map(async (p) => ({ ...p, done: await p.result })));
    const wall = Date.now() - started;
    let lost = 0;
    let outOfOrder = 0;
    for (const branch of branches) {
      const mine = outcomes.filter((o) => o.branch === branch).sort((a, b) => a.index - b.index);
      const publishedAt = mine.map((o) => (o.done.status.publish?.outcome === 'published' ? o.done.status.publish.snapshot ?? -1 : undefined));
      // Snapshot numbers of published pushes grow with push order.
      const numbers = publishedAt.filter((x): x is number => x !== undefined);
      if (numbers.some((x, i) => i > 0 && x <= numbers[i - 1])) outOfOrder++;
      for (const [i, o] of mine.entries()) {
        const ok = publishedAt[i] !== undefined || (o.done.outcome === 'superseded' && mine.slice(i + 1).some((_, j) => publishedAt[i + 1 + j] !== undefined));
        if (!ok) { lost++; note(ID, `${branch} push ${i + 1} ended ${o.done.outcome} (${summary(o.done.status)})`); }
      }
      const last = mine[mine.length - 1];
      if (publishedAt[mine.length - 1] === undefined) note(ID, `${branch}: the last push did not publish (${last.done.outcome})`);
    }
    const published = outcomes.filter((o) => o.done.status.publish?.outcome === 'published').length;
    figure(ID, `wall time of ${pushes.length} pushes`, wall / 1000, 's');
    figure(ID, 'pushes published', published, '');
    figure(ID, 'pushes superseded by a later push that published', outcomes.length - published - lost, '');
    figure(ID, 'pushes lost (neither published nor superseded by one that did)', lost, '', { op: '<=', value: 0 });
    figure(ID, 'branches that published out of push order', outOfOrder, '', { op: '<=', value: 0 });
  } finally {
    await stack.stop();
    repo.cleanup();
  }
}

/** An error and its causes, one after another (a workflow's failure wraps the activity's, which wraps the reason). */
function causes(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e && parts.length < 6; e = e.cause as typeof e) parts.push(e.message ?? String(e));
  return parts.join(': ');
}

function summary(status: PushStatus): string {
  return `state ${status.state}, builds ${status.builds.map((b) => `${b.id}:${b.state}`).join(' ')}`;
}

