import { proxyActivities } from '@temporalio/workflow';

// The orchestration benchmark's baseline: the same build work as Kiln's (the no-op backend's), as plain activities
// of one workflow, `concurrency` at a time. Deterministic workflow code: no Node builtins here.

export interface BareRoundTripsInput {
  builds: number;
  concurrency: number;
  taskQueue: string;
}

export async function bareRoundTrips({ builds, concurrency, taskQueue }: BareRoundTripsInput): Promise<void> {
  const { bareBuild } = proxyActivities<{ bareBuild(n: number): Promise<void> }>({ taskQueue, startToCloseTimeout: '1 minute' });
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < builds) await bareBuild(next++);
  }));
}
