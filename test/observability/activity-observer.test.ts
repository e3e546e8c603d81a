import { Context, type Info } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { observeActivities, type ActivityObserverOptions } from '../../activities/observability/activity-observer';
import { buildMetrics, initBuildMetrics, publishMetrics, signerMetrics } from '../../domain/observability/kiln-metrics';
import { Registry } from '../../domain/observability/metrics';
import { JsonLogger } from '../../workers/lib/logger';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const PUSH_ID = `push/ports/release/1.x/${COMMIT}`;
const buildRequest = {
  key: 'k1',
  request: {
    push: { tree: 'ports', branch: 'release/1.x', commit: COMMIT }, suite: 'bookworm', tree: 'ports', source: 'hello', version: '1.0-1',
    arch: 'amd64', scope: 'any', treeHash: 'f'.repeat(40), limits: { timeoutMinutes: 10, memoryMb: 1024, cpus: 1, pids: 512 },
  },
};

/** Runs `fn` as activity `activityType` of workflow `workflowId` through the observer, like a worker would. */
function harness(options: ActivityObserverOptions) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = new JsonLogger({ process: 'test', write: (l) => lines.push(JSON.parse(l)) });
  const observer = observeActivities(options);
  function env(info: Partial<Info>) {
    return new MockActivityEnvironment(info, { logger, interceptors: [observer] });
  }
  async function run<T>(info: Partial<Info>, fn: (...args: unknown[]) => Promise<T>, ...args: unknown[]): Promise<T> {
    return env(info).run(fn, ...args);
  }
  return { lines, env, run };
}

function setup(now: () => number = Date.now) {
  const registry = new Registry();
  const metrics = buildMetrics(registry);
  initBuildMetrics(metrics, 'amd64');
  return { metrics, ...harness({ build: { arch: 'amd64', metrics }, now }) };
}

const buildInfo = (extra: Partial<Info> = {}): Partial<Info> => ({
  activityType: 'runBuild', workflowExecution: { workflowId: `build/${'a'.repeat(64)}`, runId: 'r' }, taskQueue: 'build-amd64',
  retryPolicy: { maximumAttempts: 30 }, ...extra,
});

describe('activity observer', () => {
  it('every line an activity logs carries push, tree, branch, commit, package and arch', async () => {
    const { lines, run } = setup();
    await run(buildInfo(), async () => {
      Context.current().log.info('hello from inside', { step: 1 });
      return { key: 'k1', results: [{ name: 'hello_1.0-1_amd64.deb', sha256: 'b'.repeat(64), size: 1 }], durationMs: 5, worker: 'w' };
    }, buildRequest);
    const inside = lines.find((l) => l.msg === 'hello from inside')!;
    expect(inside).toMatchObject({
      process: 'test', level: 'info', push: PUSH_ID, tree: 'ports', branch: 'release/1.x', commit: COMMIT, package: 'hello', arch: 'amd64',
      step: 1, activityType: 'runBuild', workflowId: `build/${'a'.repeat(64)}`, sdkComponent: 'activity',
    });
    expect(inside).not.toHaveProperty('taskToken');
    expect(lines.map((l) => l.msg)).toEqual(['build started', 'hello from inside', 'build finished']);
    expect(lines.at(-1)).toMatchObject({ key: 'k1', results: 1, package: 'hello', arch: 'amd64' });
  });

  it('counts built builds and the queue wait', async () => {
    let clock = 100_000;
    const { metrics, run } = setup(() => clock);
    await run(buildInfo({ currentAttemptScheduledTimestampMs: 97_500 }), async () => {
      clock += 42_000;
      return { key: 'k', results: [], durationMs: 42_000, worker: 'w' };
    }, buildRequest);
    await run(buildInfo({ currentAttemptScheduledTimestampMs: 200_000 }), async () => ({ key: 'k2', results: [], durationMs: 1, worker: 'w' }), buildRequest);
    expect(metrics.builds.get({ arch: 'amd64', state: 'succeeded' })).toBe(2);
    expect(metrics.duration.get({ arch: 'amd64' })).toEqual({ count: 2, sum: 42 });
    // 2.5 s the first time; a scheduled time after the worker's clock (skew) counts as 0, not negative.
    expect(metrics.queueWait.get({ arch: 'amd64' })).toEqual({ count: 2, sum: 2.5 });
    expect(metrics.inProgress.get({ arch: 'amd64' })).toBe(0);
  });

  it('tells a failure for good from one Temporal will retry, and from a cancellation', async () => {
    const { metrics, run, env, lines } = setup();
    await expect(run(buildInfo(), async () => { throw ApplicationFailure.nonRetryable('exit 2', 'BuildFailed'); }, buildRequest)).rejects.toThrow('exit 2');
    await expect(run(buildInfo(), async () => { throw new Error('mirror unreachable'); }, buildRequest)).rejects.toThrow('mirror');
    await expect(run(buildInfo({ attempt: 30 }), async () => { throw new Error('mirror unreachable'); }, buildRequest)).rejects.toThrow('mirror');

    let running!: () => void;
    const started = new Promise<void>((resolve) => { running = resolve; });
    const cancellable = env(buildInfo());
    const result = cancellable.run(async () => {
      running();
      const signal = Context.current().cancellationSignal;
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }, buildRequest);
    await started;
    expect(metrics.inProgress.get({ arch: 'amd64' })).toBe(1);
    cancellable.cancel();
    await expect(result).rejects.toThrow();

    expect(metrics.builds.get({ arch: 'amd64', state: 'failed' })).toBe(2);
    expect(metrics.builds.get({ arch: 'amd64', state: 'retrying' })).toBe(1);
    expect(metrics.builds.get({ arch: 'amd64', state: 'cancelled' })).toBe(1);
    expect(metrics.builds.get({ arch: 'amd64', state: 'succeeded' })).toBe(0);
    expect(metrics.duration.get({ arch: 'amd64' }).count).toBe(2);
    expect(metrics.inProgress.get({ arch: 'amd64' })).toBe(0);
    // The SDK's own failure line carries the build's context too.
    const failed = lines.filter((l) => l.msg === 'Activity failed');
    expect(failed).toHaveLength(3);
    expect(failed[0]).toMatchObject({ level: 'warn', push: PUSH_ID, package: 'hello', arch: 'amd64', error: { type: 'BuildFailed', nonRetryable: true } });
    expect(lines.find((l) => l.msg === 'build cancelled')).toMatchObject({ package: 'hello' });
  });

  it('times signRelease on the signer, by outcome', async () => {
    let clock = 0;
    const signer = signerMetrics(new Registry());
    const { run, lines } = harness({ signer, now: () => clock });
    const info = { activityType: 'signRelease', workflowExecution: { workflowId: 'publish/ports/main/7', runId: 'r' } };
    await run(info, async () => { clock += 30; return { keyId: 'ABCD' }; }, { release: 'Suite: bookworm\n', trustedComment: 'c' });
    await expect(run(info, async () => { throw ApplicationFailure.nonRetryable('bad', 'SIGN_REQUEST_INVALID'); }, {})).rejects.toThrow();
    await expect(run(info, async () => { throw new Error('gpg agent'); }, {})).rejects.toThrow();
    expect(signer.latency.get()).toEqual({ count: 1, sum: 0.03 });
    expect(signer.requests.get({ outcome: 'signed' })).toBe(1);
    expect(signer.requests.get({ outcome: 'rejected' })).toBe(1);
    expect(signer.requests.get({ outcome: 'error' })).toBe(1);
    expect(lines[0]).toMatchObject({ msg: 'activity completed', tree: 'ports', branch: 'main', snapshot: '7', keyId: 'ABCD' });
    // The Release text is input, never a log field.
    expect(JSON.stringify(lines)).not.toContain('Suite: bookworm');
  });

  it('measures a publish from its snapshot assembly being scheduled to the switch of current', async () => {
    let clock = 50_000;
    const publish = publishMetrics(new Registry());
    const { run } = harness({ publish, now: () => clock });
    const wf = { workflowExecution: { workflowId: 'publish/ports/main/3', runId: 'r' } };
    await run({ ...wf, activityType: 'assembleSnapshot', scheduledTimestampMs: 49_000 }, async () => ({}), { number: 3, request: { tree: 'ports', branch: 'main' } });
    clock = 52_000;
    await run({ ...wf, activityType: 'completeSnapshot' }, async () => undefined, { tree: 'ports', branch: 'main', number: 3 });
    clock = 56_000;
    await run({ ...wf, activityType: 'switchCurrent' }, async () => ({ removed: [] }), { tree: 'ports', branch: 'main', number: 3 });
    // A switch whose assembly this process never saw (it restarted in between) is not counted.
    await run({ workflowExecution: { workflowId: 'publish/ports/main/4', runId: 'r' }, activityType: 'switchCurrent' }, async () => ({ removed: [] }), {});
    expect(publish.duration.get()).toEqual({ count: 1, sum: 7 });
  });
});
