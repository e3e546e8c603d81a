import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { KilnConfig } from '../../domain/config';
import { REPORT_ATTEMPTS, type PushReport } from '../../domain/report/push-report';
import { uiLinks } from '../../api/ui/links';
import type { PostFailure } from '../lib/http-post';
import { reportCommitStatus } from './commit-status';
import { describeNotifyTarget, notifyHttp, notifyMail } from './notify';

export interface ReportOutcome {
  /** The channels that took the report: `forge`, `notify-<index in the tree's notify list>`. */
  delivered: string[];
  failed: Array<{ channel: string; target: string; message: string }>;
}

interface Channel {
  id: string;
  name: string;
  send: (signal: AbortSignal) => Promise<{ ok: true } | { ok: false; failure: PostFailure }>;
}

/** The channels a report goes to: the forge for every event, notification targets for the events they asked for. */
function channelsOf(config: KilnConfig, report: PushReport): Channel[] {
  const tree = config.trees.find((t) => t.name === report.push.tree);
  if (!tree) return [];
  const pushUrl = `${config.api.publicUrl}${uiLinks.push(report.push)}`;
  const channels: Channel[] = [];
  const forge = tree.forge;
  if (forge) channels.push({ id: 'forge', name: `${forge.kind} commit status`, send: (signal) => reportCommitStatus(forge, report, pushUrl, signal) });
  const event = report.event;
  if (event === 'running') return channels;
  const ended = { ...report, event };
  tree.notify.forEach((target, k) => {
    if (!target.events.includes(event)) return;
    channels.push({
      id: `notify-${k}`,
      name: describeNotifyTarget(target),
      send: (signal) => target.kind === 'http' ? notifyHttp(target, ended, pushUrl, signal) : notifyMail(target, config.mail, ended, pushUrl, signal),
    });
  });
  return channels;
}

export function createReportActivities({ config }: { config: KilnConfig }) {
  return {
    /**
     * Send one report of a push to its tree's forge and notification targets. Retried by Temporal while a channel
     * may recover (network, 5xx); channels that took it are remembered in the heartbeat details, so a retry sends
     * only to the others. On the last attempt, or when only permanent failures are left, it returns them instead
     * of failing: a report never fails a push.
     */
    async reportPush(report: PushReport): Promise<ReportOutcome> {
      const ctx = Context.current();
      const before = ctx.info.heartbeatDetails as { delivered?: string[] } | undefined;
      const delivered = new Set(before?.delivered ?? []);
      const failed: Array<{ channel: Channel; failure: PostFailure }> = [];
      for (const channel of channelsOf(config, report)) {
        if (delivered.has(channel.id)) continue;
        const result = await channel.send(ctx.cancellationSignal);
        if (result.ok) {
          delivered.add(channel.id);
          ctx.heartbeat({ delivered: [...delivered] });
        } else {
          failed.push({ channel, failure: result.failure });
        }
      }
      const retryable = failed.filter((f) => f.failure.retryable);
      if (retryable.length > 0 && ctx.info.attempt < REPORT_ATTEMPTS) {
        throw ApplicationFailure.retryable(retryable.map((f) => f.failure.message).join('; '), 'REPORT_FAILED');
      }
      for (const f of failed) {
        log.warn('push report not delivered', { code: 'REPORT_FAILED', push: report.push, event: report.event, target: f.channel.name, error: f.failure.message });
      }
      return {
        delivered: [...delivered],
        failed: failed.map((f) => ({ channel: f.channel.id, target: f.channel.name, message: f.failure.message })),
      };
    },
  };
}
