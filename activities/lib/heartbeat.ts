import { Context } from '@temporalio/activity';

/**
 * Run `work` heartbeating every `everyMs`, so that a killed worker's attempt is noticed by its heartbeat timeout and
 * retried soon. A local activity runs inside its workflow's task, whose worker keeps that task alive: it sends none.
 */
export async function beating<T>(everyMs: number, work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  if (context.info.isLocal) return work();
  const beat = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}
