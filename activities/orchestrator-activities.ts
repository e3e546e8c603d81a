import { Context } from '@temporalio/activity';
import type { KilnConfig } from '../domain/config';
import { writeJsonAtomic } from '../domain/atomic-file';
import type { DataLayout, PushRef } from '../domain/data-layout';
import type { Plan, PushStatus } from '../domain/push';
import { beating } from './lib/heartbeat';
import { planPush } from './plan/plan-push';
import { createGcActivities } from './gc/gc-activities';
import { createPublishActivities } from './publish/publish-activities';
import { createReportActivities } from './report/report-activities';
import { WipKey } from './wip/wip-key';
import { WipRepo } from './wip/wip-repo';
import { seedPublishedLanes } from './wip/published-lanes';
import { prepareBuild, recordBuild } from './builder/build-record';
import type { BuildRequest, PreparedBuild, WorkerBuildResult } from './builder/build-request';
import type { BuildOutcome } from '../domain/build';
import type { InstallTestSummary } from '../domain/install-test';
import { prepareInstallTest, recordInstallTest, type InstallTestRequest, type PreparedInstallTest } from './install-test/install-test';

export interface OrchestratorDeps {
  config: KilnConfig;
  layout: DataLayout;
}

/** Activities of the orchestrator worker (task queue `kiln`): git, plan, WIP repository, records, snapshots. */
export function createOrchestratorActivities({ config, layout }: OrchestratorDeps) {
  const wipKey = new WipKey(layout.wipKeyDir);
  return {
    ...createPublishActivities({ config, layout }),
    ...createGcActivities({ config, layout }),
    ...createReportActivities({ config }),

    async planPush({ push }: { push: PushRef }): Promise<Plan> {
      return beating(10_000, async () => {
        const plan = await planPush(config, layout, push, { progress: (step) => Context.current().heartbeat(step) });
        // Publishing reads the full plan (what is unchanged) from disk: workflow payloads stay small.
        await writeJsonAtomic(layout.pushPlan(push), plan);
        await seedPublishedLanes(layout, wipKey, plan);
        return plan;
      });
    },

    async addToWip({ push, keys }: { push: PushRef; keys: string[] }): Promise<{ lanes: string[] }> {
      return beating(2_000, () => new WipRepo(layout, wipKey, push).add(keys));
    },

    /** A build's key, and its earlier outcome, or its inputs in the store (recipe archive, WIP view) by digest, or
     * that the data dir is too full for it to start (`diskWaits`: how often it was so far). */
    async prepareBuild({ request, waiting, diskWaits }: { request: BuildRequest; waiting?: boolean; diskWaits?: number }): Promise<PreparedBuild> {
      return beating(2_000, () => prepareBuild(layout, request, { waiting, diskWaits }));
    },

    /** Validate what a build worker uploaded and record the key as built. */
    async recordBuild({ request, result }: { request: BuildRequest; result: WorkerBuildResult }): Promise<BuildOutcome> {
      return beating(2_000, () => recordBuild(layout, request, result));
    },

    async prepareInstallTest(request: InstallTestRequest): Promise<PreparedInstallTest> {
      return beating(2_000, () => prepareInstallTest(layout, request));
    },

    async recordInstallTest({ request, summary }: { request: InstallTestRequest; summary: InstallTestSummary }): Promise<void> {
      await recordInstallTest(layout, request, summary);
    },

    /** The push's JSON record, rewritten whole and atomically at each change of the push's state. */
    async writePushRecord(status: PushStatus): Promise<void> {
      await writeJsonAtomic(layout.pushRecord(status.push), { ...status, recordedAt: new Date().toISOString() });
    },
  };
}

export type OrchestratorActivities = ReturnType<typeof createOrchestratorActivities>;
