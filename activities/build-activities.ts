import { Context } from '@temporalio/activity';
import { probeBuilder as probe, type ProbeInput, type ProbeResult } from './builder/probe';

/** Activities of a build worker (task queue build-<arch>): everything that runs a container. */
export function createBuildActivities() {
  return {
    async probeBuilder(input: ProbeInput): Promise<ProbeResult> {
      return probe(input, Context.current().cancellationSignal);
    },
  };
}

export type BuildActivities = ReturnType<typeof createBuildActivities>;
