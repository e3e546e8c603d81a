import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptors, ActivityInterceptorsFactory } from '@temporalio/worker';
import type { BuildAttemptState, BuildMetrics, PublishMetrics, SignerMetrics } from '../../domain/observability/kiln-metrics';
import { activityContext, type LogContext } from '../../domain/observability/log-fields';

// Observes every activity a worker runs, without touching the activities: a Temporal activity interceptor that
//  - adds push/tree/branch/commit/snapshot/package/arch to every line logged through the activity's logger
//    (`Context.current().log`, and the SDK's own "Activity failed" line), from the workflow ID and the input;
//  - logs one line per activity that completed or was cancelled (failures: the SDK logs them, at WARN, with the error);
//  - records the build, signer and publish metrics of the worker it is installed on.

export interface ActivityObserverOptions {
  /** On a build worker: its arch (one worker serves one arch) and the build metrics. */
  build?: { arch: string; metrics: BuildMetrics };
  /** On the signer: signRelease latency and outcomes. */
  signer?: SignerMetrics;
  /** On the orchestrator: publish duration (assembleSnapshot scheduled → switchCurrent done). */
  publish?: PublishMetrics;
  /** Wall clock in ms (tests). */
  now?: () => number;
}

/** Will Temporal run this activity again after `err`? Decides `retrying` against `failed`. */
export function willRetry(err: unknown, info: Context['info']): boolean {
  if (err instanceof ApplicationFailure) {
    if (err.nonRetryable) return false;
    if (err.type && info.retryPolicy?.nonRetryableErrorTypes?.includes(err.type)) return false;
  } else if (err instanceof Error && info.retryPolicy?.nonRetryableErrorTypes?.includes(err.name)) {
    return false;
  }
  const max = info.retryPolicy?.maximumAttempts;
  return !(max !== undefined && max > 0 && info.attempt >= max);
}

/** The first scheduling time of each running publish, by workflow ID: bounded, and lost on restart (documented). */
class PublishClock {
  private readonly started = new Map<string, number>();
  constructor(private readonly limit = 1_000) {}

  begin(workflowId: string, scheduledMs: number): void {
    if (this.started.has(workflowId)) return;
    if (this.started.size >= this.limit) this.started.delete(this.started.keys().next().value as string);
    this.started.set(workflowId, scheduledMs);
  }

  end(workflowId: string): number | undefined {
    const start = this.started.get(workflowId);
    this.started.delete(workflowId);
    return start;
  }
}

function summary(activityType: string, result: unknown): Record<string, unknown> {
  if (typeof result !== 'object' || result === null) return {};
  const r = result as Record<string, unknown>;
  if (activityType === 'runBuild') return { key: r.key, results: Array.isArray(r.results) ? r.results.length : undefined };
  if (activityType === 'signRelease') return { keyId: r.keyId };
  if (activityType === 'switchCurrent') return { removed: r.removed };
  return {};
}

export function observeActivities(options: ActivityObserverOptions = {}): ActivityInterceptorsFactory {
  const now = options.now ?? Date.now;
  const publishes = new PublishClock();

  return (ctx: Context): ActivityInterceptors => {
    const info = ctx.info;
    const workflowId = info.workflowExecution?.workflowId;
    let context: LogContext = activityContext(workflowId, []);

    async function observed<T>(run: () => Promise<T>): Promise<T> {
      const started = now();
      const type = info.activityType;
      const build = type === 'runBuild' ? options.build : undefined;
      let state: BuildAttemptState | undefined;
      if (build) {
        const queueWait = Math.max(0, started - info.currentAttemptScheduledTimestampMs) / 1000;
        build.metrics.queueWait.observe({ arch: build.arch }, queueWait);
        build.metrics.inProgress.inc({ arch: build.arch });
        ctx.log.info('build started', { queueWaitSeconds: queueWait });
      }
      if (type === 'assembleSnapshot' && options.publish && workflowId) publishes.begin(workflowId, info.scheduledTimestampMs);
      try {
        const result = await run();
        const seconds = (now() - started) / 1000;
        if (build) {
          state = (result as { cached?: boolean } | undefined)?.cached ? 'cached' : 'succeeded';
          if (state === 'succeeded') build.metrics.duration.observe({ arch: build.arch }, seconds);
        }
        if (type === 'signRelease' && options.signer) {
          options.signer.latency.observe({}, seconds);
          options.signer.requests.inc({ outcome: 'signed' });
        }
        if (type === 'switchCurrent' && options.publish && workflowId) {
          const start = publishes.end(workflowId);
          if (start !== undefined) options.publish.duration.observe({}, Math.max(0, now() - start) / 1000);
        }
        ctx.log.info(build ? 'build finished' : 'activity completed', { durationMs: Math.round(seconds * 1000), ...summary(type, result) });
        return result;
      } catch (err) {
        const seconds = (now() - started) / 1000;
        const cancelled = ctx.cancellationSignal.aborted;
        if (build) {
          state = cancelled ? 'cancelled' : willRetry(err, info) ? 'retrying' : 'failed';
          if (state === 'failed') build.metrics.duration.observe({ arch: build.arch }, seconds);
        }
        if (type === 'signRelease' && options.signer && !cancelled) {
          options.signer.requests.inc({ outcome: willRetry(err, info) ? 'error' : 'rejected' });
        }
        if (cancelled) ctx.log.info(build ? 'build cancelled' : 'activity cancelled', { durationMs: Math.round(seconds * 1000) });
        throw err;
      } finally {
        if (build) {
          build.metrics.inProgress.dec({ arch: build.arch });
          if (state) build.metrics.builds.inc({ arch: build.arch, state });
        }
      }
    }

    return {
      inbound: {
        execute: (input, next) => {
          context = activityContext(workflowId, input.args);
          return observed(() => next(input));
        },
      },
      outbound: {
        getLogAttributes: (attributes, next) => next({ ...attributes, ...context }),
      },
    };
  };
}
