import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { WorkflowHandle } from '@temporalio/client';
import { docker } from '../activities/docker/engine';
import type { PushResult } from '../domain/push';
import { archWorkflowId, buildWorkflowId } from '../domain/workflow-ids';
import type { BenchContext } from './lib/context';
import { startKiln, type KilnStack } from './lib/kiln-stack';
import { makeTree, packageName } from './lib/ports-tree';
import { figure, median, note, percentile } from './lib/report';

// Push noticed → first build started (issue 13): a signed Gitea webhook for a new commit that changes one package,
// until the Docker engine starts that build's container, on Kiln's real build worker. One push at a time: each
// sample waits for its push to publish (so its histories are complete for the breakdown, and the next push plans
// against a published branch, as a push usually does).

const ID = 'first-build';
const TREE = 'first';
const SECRET_ENV = 'KILN_BENCH_FIRST_BUILD_WEBHOOK_SECRET';
const START_TIMEOUT_MS = 60_000;
const PUSH_TIMEOUT_MS = 300_000;
const ZERO = '0'.repeat(40);

/** Milliseconds after the webhook was sent, per step (the figure is `containerStarted`). */
interface Timeline {
  answered: number;
  pushStarted: number;
  planStarted: number;
  planDone: number;
  archStarted: number;
  prepareStarted: number;
  prepareDone: number;
  buildStarted: number;
  runBuildStarted: number;
  /** The build log's first line: inputs fetched (log shipper, recipe, WIP view), the sandbox about to be made. */
  sandboxStarted: number;
  containerCreated: number;
  containerStarted: number;
}

const STEPS: Array<[string, keyof Timeline]> = [
  ['webhook answered', 'answered'], ['push workflow started', 'pushStarted'], ['planPush started', 'planStarted'],
  ['planPush ran', 'planDone'], ['arch workflow started', 'archStarted'], ['prepareBuild started', 'prepareStarted'],
  ['prepareBuild ran', 'prepareDone'], ['build workflow started', 'buildStarted'], ['runBuild picked up', 'runBuildStarted'],
  ['inputs fetched', 'sandboxStarted'], ['container created', 'containerCreated'], ['container started', 'containerStarted'],
];

export async function firstBuild(ctx: BenchContext): Promise<void> {
  const samples = ctx.quick ? 3 : 20;
  const secret = crypto.randomBytes(16).toString('hex');
  process.env[SECRET_ENV] = secret;
  const repo = makeTree({ packages: 3 });
  const stack = await startKiln(path.join(ctx.tmp, 'first-build'),
    [{ name: TREE, url: repo.dir, branches: ['main'], architectures: ['amd64'], concurrency: 2, webhookSecretEnv: SECRET_ENV }],
    { realBuilds: true });
  const events = await ContainerEvents.open();
  try {
    note(ID, `${samples} pushes, one at a time, each a new commit changing ${packageName(0)}'s version; real builds`);
    // Warm-up, not counted: the mirror's first clone, the first build of every package, the deps network and proxy.
    let before = ZERO;
    let head = repo.git('rev-parse', 'HEAD');
    const warm = await sample(stack, events, secret, before, head);
    note(ID, `warm-up push: container started after ${warm.containerStarted.toFixed(0)} ms`);
    const timelines: Timeline[] = [];
    for (let i = 1; i <= samples; i++) {
      before = head;
      repo.bumpVersion(packageName(0), `1.${i}`);
      head = repo.commit(`${packageName(0)} 1.${i}`);
      timelines.push(await sample(stack, events, secret, before, head));
    }
    const started = timelines.map((t) => t.containerStarted);
    figure(ID, 'push noticed to first build started, p50', median(started), 'ms', { op: '<', value: 1000 });
    figure(ID, 'push noticed to first build started, p99', percentile(started, 99), 'ms', { op: '<', value: 2000 });
    const steps = timelines.map(durations);
    note(ID, `median ms of each step (each from the one before): ${named(STEPS.map((_, i) => median(steps.map((d) => d[i]))))}`);
    const slowest = timelines.reduce((a, b) => (b.containerStarted > a.containerStarted ? b : a));
    note(ID, `slowest sample (${slowest.containerStarted.toFixed(0)} ms), ms per step: ${named(durations(slowest))}`);
  } finally {
    events.close();
    await stack.stop();
    repo.cleanup();
    delete process.env[SECRET_ENV];
  }
}

/** Each step's duration, from the one before (the first from the webhook's sending). */
function durations(t: Timeline): number[] {
  return STEPS.map(([, k], i) => t[k] - (i ? t[STEPS[i - 1][1]] : 0));
}

function named(ms: number[]): string {
  return STEPS.map(([name], i) => `${name} ${ms[i].toFixed(0)}`).join(', ');
}

/** One push: the webhook, the first container's start, then the push's end and its workflows' histories. */
async function sample(stack: KilnStack, events: ContainerEvents, secret: string, before: string, after: string): Promise<Timeline> {
  const body = Buffer.from(JSON.stringify({
    ref: 'refs/heads/main', before, after,
    repository: { name: 'ports', full_name: 'bench/ports', clone_url: 'file:///bench/ports.git' },
    pusher: { login: 'bench' },
  }));
  const headers = {
    'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-delivery': crypto.randomUUID(),
    'x-gitea-signature': crypto.createHmac('sha256', secret).update(body).digest('hex'),
  };
  const t0 = Date.now();
  const started = events.nextStart(t0, START_TIMEOUT_MS);
  started.catch(() => undefined);
  const answer = await fetch(`${stack.apiUrl}/webhooks/${TREE}`, { method: 'POST', headers, body });
  const answered = Date.now() - t0;
  const reply = (await answer.json()) as { status?: string; workflowId?: string };
  if (answer.status !== 202 || !reply.workflowId) throw new Error(`the webhook of ${after} was answered ${answer.status}: ${JSON.stringify(reply)}`);
  const container = await started.catch((err: unknown) => { throw new Error(`push of ${after}: ${String(err)}`); });
  const done = await pushResult(stack.client.workflow.getHandle(reply.workflowId), PUSH_TIMEOUT_MS);
  if (done.outcome !== 'succeeded') throw new Error(`push of ${after} ended ${done.outcome}: ${JSON.stringify(done.status.builds)}`);
  const first = done.status.builds.find((b) => b.key === container.key && !b.cached);
  if (!first) throw new Error(`the first container started after the webhook of ${after} built ${container.key}, not a build of that push`);

  const history = async (id: string) => (await stack.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  const push = await history(reply.workflowId);
  const arch = await history(archWorkflowId(reply.workflowId, 'amd64'));
  const build = await history(buildWorkflowId(container.key));
  const at = (ms: number) => ms - t0;
  return {
    answered,
    pushStarted: at(eventMs(push[0])),
    planStarted: at(activity(push, 'planPush').started),
    planDone: at(activity(push, 'planPush').completed),
    archStarted: at(eventMs(arch[0])),
    prepareStarted: at(activity(arch, 'prepareBuild').started),
    prepareDone: at(activity(arch, 'prepareBuild').completed),
    buildStarted: at(eventMs(build[0])),
    runBuildStarted: at(activity(build, 'runBuild').started),
    sandboxStarted: at(await sandboxTime(path.join(stack.config.dataDir, first.log))),
    containerCreated: container.createdNs / 1e6 - t0,
    containerStarted: container.startedNs / 1e6 - t0,
  };
}

async function pushResult(handle: WorkflowHandle, timeoutMs: number): Promise<PushResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`push ${handle.workflowId} did not finish in ${timeoutMs / 1000} s`)), timeoutMs);
  });
  // The branch coordinator starts the push workflow a moment after the webhook's answer: until then, not found.
  const finished = (async () => {
    for (let i = 0; ; i++) {
      try {
        return (await handle.result()) as PushResult;
      } catch (err) {
        if (i > 100 || !/not found/i.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
  try {
    return await Promise.race([finished, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** build-package.ts notes the time it goes to make the sandbox (ms precision) in the log's second line. */
async function sandboxTime(log: string): Promise<number> {
  const found = /^===== kiln: key .*, (\d{4}-\d\d-\d\dT[\d:.]+Z) =====$/m.exec(await fs.promises.readFile(log, 'utf8'));
  if (!found) throw new Error(`the build log ${log} has no start time`);
  return Date.parse(found[1]);
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

function eventMs(event: HistoryEvent | undefined): number {
  const t = event?.eventTime;
  if (!t) throw new Error('a history event without a time');
  // seconds is a Long (or a number): its string form is exact either way.
  return Number(String(t.seconds ?? 0)) * 1000 + (t.nanos ?? 0) / 1e6;
}

/**
 * The first activity of that type in a history: when it started and completed (server times, ms). A local activity
 * (prepareBuild, since the patch that made it one) is a marker whose data says when it completed: its whole time
 * shows as "started", and "ran" as 0 (the schedule time in the marker is not comparable with the server's).
 */
function activity(events: HistoryEvent[], type: string): { started: number; completed: number } {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
  if (!scheduled) return localActivity(events, type);
  const id = String(scheduled.eventId);
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === id);
  const completed = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id);
  if (!started || !completed) throw new Error(`the ${type} activity did not complete`);
  return { started: eventMs(started), completed: eventMs(completed) };
}

function localActivity(events: HistoryEvent[], type: string): { started: number; completed: number } {
  for (const e of events) {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') continue;
    const payload = marker.details?.data?.payloads?.[0]?.data;
    if (!payload) continue;
    const data = JSON.parse(Buffer.from(payload).toString('utf8')) as {
      activity_type?: string; complete_time?: Timestamp;
    };
    if (data.activity_type !== type || !data.complete_time) continue;
    const completed = timestampMs(data.complete_time);
    return { started: completed, completed };
  }
  throw new Error(`no ${type} activity in the history`);
}

type Timestamp = { seconds?: number | string; nanos?: number };
const timestampMs = (t: Timestamp) => Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;

interface ContainerStart {
  key: string;
  createdNs: number;
  startedNs: number;
}

/**
 * The engine's create and start events of this process's build containers (build-package.ts labels each with the
 * worker's pid and the build key), from one event stream kept open for the whole benchmark: another process's
 * builds on the same engine are not counted.
 */
class ContainerEvents {
  private readonly created = new Map<string, number>();
  private readonly starts: ContainerStart[] = [];
  private waiters: Array<() => void> = [];

  private constructor(private readonly stream: Readable) {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.take(JSON.parse(line) as EngineEvent);
    });
  }

  static async open(): Promise<ContainerEvents> {
    const filters = { type: ['container' as const], event: ['create', 'start'], label: [`org.kiln.worker-pid=${process.pid}`, 'org.kiln.build-key'] };
    // dockerode's type says a web ReadableStream; it is the HTTP response, a Node stream.
    return new ContainerEvents((await docker().getEvents({ filters })) as unknown as Readable);
  }

  private take(event: EngineEvent): void {
    const key = event.Actor?.Attributes?.['org.kiln.build-key'];
    const id = event.Actor?.ID;
    if (!key || !id) return;
    if (event.Action === 'create') this.created.set(id, event.timeNano);
    if (event.Action === 'start') this.starts.push({ key, createdNs: this.created.get(id) ?? event.timeNano, startedNs: event.timeNano });
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The first build container started at or after `sinceMs` (epoch ms). */
  async nextStart(sinceMs: number, timeoutMs: number): Promise<ContainerStart> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.starts.find((s) => s.startedNs >= sinceMs * 1e6);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no build container started within ${timeoutMs / 1000} s of the webhook`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  close(): void {
    this.stream.destroy();
  }
}

interface EngineEvent {
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano: number;
}
