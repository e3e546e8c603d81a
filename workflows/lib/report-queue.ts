import { CancellationScope } from '@temporalio/workflow';
import type { PushReport } from '../../domain/report/push-report';

/**
 * A push's reports (commit statuses, notifications), sent one at a time in the order they happened, so a forge
 * never shows `pending` after `success`. Sending never holds the push up and never fails it: the activity retries
 * on its own, and what still fails is logged by the activity and dropped here.
 */
export class ReportQueue {
  private readonly waiting: PushReport[] = [];
  private sending = false;

  /** `onIdle`: called once the last waiting report is sent (a continue-as-new may wait for it). */
  constructor(private readonly send: (report: PushReport) => Promise<unknown>, private readonly onIdle: () => void) {}

  add(report: PushReport): void {
    this.waiting.push(report);
    if (!this.sending) void this.drain();
  }

  /** Nothing waits or is being sent: the push may end or continue-as-new. */
  get idle(): boolean {
    return !this.sending && this.waiting.length === 0;
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
        const report = next;
        // Not cancellable: a push cancelled through Temporal still reports that it was.
        await CancellationScope.nonCancellable(() => this.send(report)).catch(() => undefined);
      }
    } finally {
      this.sending = false;
      this.onIdle();
    }
  }
}
