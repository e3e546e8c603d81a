import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { runBuild as run, type WorkerExchange } from './builder/build-package';
import type { WorkerBuildRequest, WorkerBuildResult } from './builder/build-request';
import { probeBuilder as probe, type ProbeInput, type ProbeResult } from './builder/probe';
import type { BuildInputs } from '../domain/build-exchange';
import type { InstallTestSummary } from '../domain/install-test';
import { runInstallTest as runTest, type InstallTestRequest } from './install-test/install-test';

export interface BuildDeps {
  /** How this worker reaches Kiln (API client, local cache): it shares no disk with the orchestrator. */
  exchange: WorkerExchange;
}

/** Activities of a build worker (task queue build-<arch>): everything that runs a container. */
export function createBuildActivities({ exchange }: BuildDeps) {
  return {
    async probeBuilder(input: ProbeInput): Promise<ProbeResult> {
      return probe(input, Context.current().cancellationSignal);
    },

    /**
     * One build = one fresh container, its inputs fetched by digest, its results uploaded; the orchestrator records
     * them. Heartbeats carry progress; cancellation kills and removes the container.
     */
    async runBuild(job: WorkerBuildRequest): Promise<WorkerBuildResult> {
      const ctx = Context.current();
      ctx.heartbeat({ phase: 'starting' });
      const beat = setInterval(() => ctx.heartbeat({ phase: 'working' }), 5_000);
      try {
        return await run(exchange, job, { signal: ctx.cancellationSignal, progress: (detail) => ctx.heartbeat(detail) });
      } finally {
        clearInterval(beat);
      }
    },

    /** Install-test one build's packages and run its recipe's tests, each in a fresh container; heartbeats as runBuild. */
    async runInstallTest(job: { request: InstallTestRequest; inputs: BuildInputs }): Promise<InstallTestSummary> {
      const ctx = Context.current();
      ctx.heartbeat({ phase: 'starting' });
      const beat = setInterval(() => ctx.heartbeat({ phase: 'install-test' }), 5_000);
      try {
        return await runTest(exchange, job, { signal: ctx.cancellationSignal, progress: (detail) => ctx.heartbeat(detail) });
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * Builds and install tests scheduled before builds went through the blob exchange, by pushes still running when
     * Kiln was upgraded: they cannot run here (they expect the orchestrator's disk). Cancel such a push and push again.
     */
    async buildPackage(): Promise<never> {
      throw ApplicationFailure.nonRetryable('this build was scheduled by a Kiln older than the blob exchange: cancel the push and push it again', 'BuildScheduledBeforeUpgrade');
    },
    async installTest(): Promise<never> {
      throw ApplicationFailure.nonRetryable('this install test was scheduled by a Kiln older than the blob exchange: cancel the push and push it again', 'BuildScheduledBeforeUpgrade');
    },
  };
}

export type BuildActivities = ReturnType<typeof createBuildActivities>;
