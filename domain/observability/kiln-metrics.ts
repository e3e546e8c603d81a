import type { Registry } from './metrics';

// Kiln's metrics, by the process that produces them. Each process registers only its own: a build worker's /metrics
// has build metrics, the signer's has signing metrics, and so on; every process has the process_* pair.

/** How one build activity attempt ended on a build worker. */
export const BUILD_ATTEMPT_STATES = ['succeeded', 'cached', 'failed', 'retrying', 'cancelled'] as const;
export type BuildAttemptState = (typeof BUILD_ATTEMPT_STATES)[number];

/** Seconds: a trivial package builds in a few seconds, a large one in tens of minutes. */
export const BUILD_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];
/** Seconds a build waited in its task queue: 0 when a worker is free, minutes when the arch is saturated. */
export const QUEUE_WAIT_BUCKETS = [0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600];
/** Seconds from staging a snapshot to switching `current` (signing included). */
export const PUBLISH_DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Seconds per signRelease: minisign is milliseconds, gpg tens of milliseconds. */
export const SIGNER_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function buildMetrics(registry: Registry) {
  return {
    builds: registry.counter({
      name: 'kiln_builds_total',
      help: 'Build activity attempts on this worker, by how they ended: succeeded (built), cached (an existing build reused), '
        + 'failed (for good), retrying (a retryable error; Temporal runs it again), cancelled.',
      labels: ['arch', 'state'],
    }),
    duration: registry.histogram({
      name: 'kiln_build_duration_seconds',
      help: 'Wall time of build attempts that ran to an end (succeeded or failed); cached reuse is not counted.',
      labels: ['arch'],
      buckets: BUILD_DURATION_BUCKETS,
    }),
    queueWait: registry.histogram({
      name: 'kiln_build_queue_wait_seconds',
      help: 'Time from a build attempt being scheduled (Temporal server clock) to this worker starting it (worker clock).',
      labels: ['arch'],
      buckets: QUEUE_WAIT_BUCKETS,
    }),
    inProgress: registry.gauge({
      name: 'kiln_builds_in_progress',
      help: 'Build activities running on this worker now (including those waiting for another push\'s build of the same key).',
      labels: ['arch'],
    }),
  };
}
export type BuildMetrics = ReturnType<typeof buildMetrics>;

/** Every series of one arch at 0, so rates and alerts work from the first scrape. */
export function initBuildMetrics(metrics: BuildMetrics, arch: string): void {
  for (const state of BUILD_ATTEMPT_STATES) metrics.builds.inc({ arch, state }, 0);
  metrics.inProgress.set({ arch }, 0);
  metrics.duration.get({ arch });
  metrics.queueWait.get({ arch });
}

export const SIGN_OUTCOMES = ['signed', 'rejected', 'error'] as const;

export function signerMetrics(registry: Registry) {
  const metrics = {
    latency: registry.histogram({
      name: 'kiln_signer_latency_seconds',
      help: 'Time the signer took to sign a Release (minisign and OpenPGP, audit line included), for signatures made.',
      buckets: SIGNER_LATENCY_BUCKETS,
    }),
    requests: registry.counter({
      name: 'kiln_sign_requests_total',
      help: 'signRelease calls by outcome: signed, rejected (refused for good: SIGN_REQUEST_INVALID, SIGN_UNKNOWN_TREE, SIGN_SNAPSHOT_OLD), error (retried: gpg failures, SIGN_RATE_LIMITED).',
      labels: ['outcome'],
    }),
  };
  for (const outcome of SIGN_OUTCOMES) metrics.requests.inc({ outcome }, 0);
  return metrics;
}
export type SignerMetrics = ReturnType<typeof signerMetrics>;

export function publishMetrics(registry: Registry) {
  return {
    duration: registry.histogram({
      name: 'kiln_publish_duration_seconds',
      help: 'Time from a publish workflow scheduling its snapshot assembly to `current` switching to the snapshot '
        + '(signing included, publish targets not). Publishes that span an orchestrator restart are not counted.',
      buckets: PUBLISH_DURATION_BUCKETS,
    }),
  };
}
export type PublishMetrics = ReturnType<typeof publishMetrics>;

/** The two process metrics every Prometheus client library exports under these names. */
export function processMetrics(registry: Registry, startedAtMs = Date.now() - process.uptime() * 1000): void {
  const start = registry.gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since the Unix epoch, in seconds.' });
  const rss = registry.gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.' });
  start.set({}, Math.floor(startedAtMs / 1000));
  registry.onCollect(() => rss.set({}, process.memoryUsage.rss()));
}
