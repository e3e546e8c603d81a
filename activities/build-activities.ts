import { Context } from '@temporalio/activity';
import type { BuildOutcome } from '../domain/build';
import type { DataLayout } from '../domain/data-layout';
import { buildPackage, type BuildRequest } from './builder/build-package';
import { probeBuilder as probe, type ProbeInput, type ProbeResult } from './builder/probe';
import type { InstallTestSummary } from '../domain/install-test';
import { installTest, type InstallTestRequest } from './install-test/install-test';

export interface BuildDeps {
  layout: DataLayout;
}

/** Activities of a build worker (task queue build-<arch>): everything that runs a container. */
export function createBuildActivities({ layout }: BuildDeps) {
  return {
    async probeBuilder(input: ProbeInput): Promise<ProbeResult> {
      return probe(input, Context.current().cancellationSignal);
    },

    /** One build = one fresh container. Heartbeats carry progress; cancellation kills and removes the container. */
    async buildPackage(request: BuildRequest): Promise<BuildOutcome> {
      const ctx = Context.current();
      ctx.heartbeat({ phase: 'starting' });
      return buildPackage(layout, request, {
        signal: ctx.cancellationSignal,
        progress: (detail) => ctx.heartbeat(detail),
      });
    },

    /** Install-test one build's packages and run its recipe's tests, each in a fresh container; heartbeats as buildPackage. */
    async installTest(request: InstallTestRequest): Promise<InstallTestSummary> {
      const ctx = Context.current();
      ctx.heartbeat({ phase: 'starting' });
      const beat = setInterval(() => ctx.heartbeat({ phase: 'install-test' }), 5_000);
      try {
        return await installTest(layout, request, { signal: ctx.cancellationSignal, progress: (detail) => ctx.heartbeat(detail) });
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type BuildActivities = ReturnType<typeof createBuildActivities>;
