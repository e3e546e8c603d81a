import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TimeoutFailure, isCancellation } from '@temporalio/workflow';

export { isCancellation };

/** A failure as operators read it: the named type the activity chose (BuildFailed, ...) and its message. */
export function describeFailure(err: unknown): { type: string; message: string } {
  let cause = err;
  // A build fails inside its build workflow's activity: the child's failure wraps the activity's.
  while ((cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'Error', message: cause.message };
  if (cause instanceof TimeoutFailure) return { type: 'BuildTimedOut', message: `activity timed out (${cause.timeoutType})` };
  if (cause instanceof Error) return { type: cause.name || 'Error', message: cause.message };
  return { type: 'Error', message: String(cause) };
}
