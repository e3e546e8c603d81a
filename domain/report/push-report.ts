import type { ForgeKind, PushEventName } from '../config/types';
import type { PushRef } from '../data-layout';

// What a push tells the world about itself: a commit status on the forge at each change that matters, and a
// notification when it ends (or fails). The push workflow sends a PushReport; everything here is pure, so the
// words and the state mapping are tested without a forge.

/** `running`: the push started, or builds again after a retry; the rest are the notification events. */
export type PushReportEvent = 'running' | PushEventName;

export interface PushReport {
  push: PushRef;
  event: PushReportEvent;
  /** When it happened (workflow time, ms): with the event, it names the delivery, so a retry is recognisable. */
  at: number;
  requestedBy: string;
  builds: {
    total: number;
    failed: number;
    /** At most REPORTED_FAILURES of them: which builds failed, for the message. */
    failures: Array<{ source: string; arch: string; state: string }>;
  };
  installTestsFailed?: number;
  snapshot?: number;
  supersededBy?: string;
  /** Why it failed when it is not a build (a plan error, a publish failure). */
  error?: string;
}

export const REPORTED_FAILURES = 20;

/** A commit status as the forges' APIs name it. */
export type CommitState = 'pending' | 'running' | 'success' | 'failure' | 'error' | 'failed' | 'canceled';

/**
 * The state a forge shows. Gitea, Forgejo and GitHub know pending/success/failure/error; a push that ended without
 * publishing through no fault of its packages (cancelled, superseded) is an `error` there, `canceled` on GitLab.
 */
export function commitState(kind: ForgeKind, event: PushReportEvent): CommitState {
  if (kind === 'gitlab') {
    return ({ running: 'running', failed: 'failed', published: 'success', cancelled: 'canceled', superseded: 'canceled' } as const)[event];
  }
  return ({ running: 'pending', failed: 'failure', published: 'success', cancelled: 'error', superseded: 'error' } as const)[event];
}

/** GitHub cuts descriptions at 140 characters; the others are roomier, the same text suits them all. */
export const DESCRIPTION_MAX = 140;

export function shortCommit(commit: string): string {
  return commit.slice(0, 12);
}

/** One line that says where the push is: the commit status's description and the e-mail's subject. */
export function describeReport(report: PushReport): string {
  const { builds } = report;
  let text: string;
  switch (report.event) {
    case 'running':
      text = builds.total > 0 ? `building ${builds.total} package build${builds.total === 1 ? '' : 's'}` : 'planning';
      break;
    case 'failed':
      if (builds.failed > 0) text = `${builds.failed} of ${builds.total} builds failed`;
      else if (report.installTestsFailed) text = `${report.installTestsFailed} install test${report.installTestsFailed === 1 ? '' : 's'} failed`;
      else text = `failed${report.error ? `: ${report.error}` : ''}`;
      break;
    case 'published':
      text = report.snapshot !== undefined ? `published as snapshot ${report.snapshot}` : 'published';
      break;
    case 'cancelled':
      text = 'cancelled, not published';
      break;
    case 'superseded':
      text = report.supersededBy ? `superseded by ${shortCommit(report.supersededBy.split('/').pop() ?? '')}, not published` : 'superseded, not published';
      break;
  }
  const line = text.replace(/[\r\n\t]+/g, ' ');
  return line.length <= DESCRIPTION_MAX ? line : `${line.slice(0, DESCRIPTION_MAX - 1)}…`;
}

/** The JSON body an HTTP notification target receives (these fields, documented in docs/CONFIGURATION.md). */
export interface NotificationBody {
  event: PushEventName;
  tree: string;
  branch: string;
  commit: string;
  summary: string;
  /** The push's page in Kiln's web UI. */
  url: string;
  requestedBy: string;
  at: string;
  builds: PushReport['builds'];
  snapshot?: number;
  supersededBy?: string;
}

export function notificationBody(report: PushReport & { event: PushEventName }, url: string): NotificationBody {
  return {
    event: report.event,
    tree: report.push.tree,
    branch: report.push.branch,
    commit: report.push.commit,
    summary: describeReport(report),
    url,
    requestedBy: report.requestedBy,
    at: new Date(report.at).toISOString(),
    builds: report.builds,
    ...(report.snapshot !== undefined ? { snapshot: report.snapshot } : {}),
    ...(report.supersededBy ? { supersededBy: report.supersededBy } : {}),
  };
}

/** Stable across retries of one report, different for the next failure of the same push. */
export function deliveryId(report: PushReport): string {
  return `${report.push.tree}/${report.push.branch}/${report.push.commit}/${report.event}/${report.at}`;
}

/** A header value cannot carry a line break (that would start a header of the sender's choosing). */
function headerValue(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '?');
}

/**
 * The whole e-mail (RFC 5322, plain text, UTF-8 body): what sendmail reads on stdin. `to` and `from` are addresses
 * the configuration schema accepted (no spaces, brackets or line breaks).
 */
export function notificationMail(
  report: PushReport & { event: PushEventName },
  { from, to, url, host }: { from: string; to: readonly string[]; url: string; host: string },
): string {
  const { push } = report;
  const subject = `[kiln] ${push.tree}/${push.branch} ${shortCommit(push.commit)}: ${describeReport(report)}`;
  const lines = [
    `Push ${push.commit} of ${push.tree}, branch ${push.branch}: ${report.event}.`,
    describeReport(report),
    '',
    `Requested by: ${report.requestedBy}`,
    `Builds: ${report.builds.total}, failed: ${report.builds.failed}`,
  ];
  if (report.builds.failures.length > 0) {
    lines.push('', 'Failed builds:');
    for (const f of report.builds.failures) lines.push(`  ${f.source}/${f.arch}: ${f.state}`);
    if (report.builds.failed > report.builds.failures.length) lines.push(`  and ${report.builds.failed - report.builds.failures.length} more`);
  }
  if (report.error) lines.push('', `Error: ${report.error}`);
  lines.push('', `The push in Kiln: ${url}`, '');
  const headers = [
    `From: ${from}`,
    `To: ${to.join(', ')}`,
    `Subject: ${headerValue(subject)}`,
    `Date: ${new Date(report.at).toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: <${headerValue(deliveryId(report)).replace(/[^A-Za-z0-9._-]/g, '.')}@${headerValue(host)}>`,
    `X-Kiln-Event: ${report.event}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    'Auto-Submitted: auto-generated',
  ];
  // A line of a lone "." ends the message for some sendmails without -oi; doubled here as SMTP would.
  const body = lines.map((l) => l.replace(/\r/g, '').replace(/^\.$/, '..')).join('\n');
  return `${headers.join('\n')}\n\n${body}`;
}

/** Attempts of one report before its failures are logged and dropped (the backoff spans a few minutes). */
export const REPORT_ATTEMPTS = 5;

/**
 * The pushed commit's page on the forge (where its statuses show), from the API base the configuration names:
 * Gitea/Forgejo `<host>/api/v1` → `<host>/<owner>/<repo>/commit/<sha>`; GitHub `api.github.com` → `github.com`
 * (Enterprise: `<host>/api/v3` → `<host>`); GitLab `<host>/api/v4` → `<host>/<path>/-/commit/<sha>`. Undefined where
 * it cannot be told (a GitLab project given by id, an API URL of another shape).
 */
export function forgeCommitUrl(forge: { kind: ForgeKind; apiUrl: string; repository: string }, commit: string): string | undefined {
  let web: string | undefined;
  const api = forge.apiUrl.replace(/\/+$/, '');
  switch (forge.kind) {
    case 'gitea':
    case 'forgejo':
      web = api.endsWith('/api/v1') ? api.slice(0, -'/api/v1'.length) : undefined;
      return web && `${web}/${forge.repository}/commit/${commit}`;
    case 'github':
      web = /^https:\/\/api\.github\.com$/i.test(api) ? 'https://github.com' : api.endsWith('/api/v3') ? api.slice(0, -'/api/v3'.length) : undefined;
      return web && `${web}/${forge.repository}/commit/${commit}`;
    case 'gitlab':
      web = api.endsWith('/api/v4') ? api.slice(0, -'/api/v4'.length) : undefined;
      return web && !/^[0-9]+$/.test(forge.repository) ? `${web}/${forge.repository}/-/commit/${commit}` : undefined;
  }
}
