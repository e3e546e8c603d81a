// Task-queue names, defined once: workers poll them, workflows and clients address them.
export const ORCHESTRATOR_TASK_QUEUE = 'kiln';
export const SIGN_TASK_QUEUE = 'sign';

/** One queue per architecture: any machine with Docker can serve an arch by running a build worker for it. */
export function buildTaskQueue(arch: string): string {
  return `build-${arch}`;
}
