import type { ForgeConfig } from '../../domain/config';
import { commitState, describeReport, type PushReport } from '../../domain/report/push-report';
import { describeUrl, postOnce, type PostResult } from '../lib/http-post';

// A push's state on its commit, through the forge's commit status API. One POST per report; each forge names the
// URL, the states and the token header its own way (their API references, linked in docs/CONFIGURATION.md).

export interface CommitStatusRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Record<string, string>;
}

/** The request for a report on the forge: pure, so each forge's shape is tested without one. */
export function commitStatusRequest(forge: ForgeConfig, report: PushReport, targetUrl: string): CommitStatusRequest {
  const state = commitState(forge.kind, report.event);
  const description = describeReport(report);
  const sha = encodeURIComponent(report.push.commit);
  const token = forge.token.reveal().toString('utf8');
  switch (forge.kind) {
    case 'gitea':
    case 'forgejo': {
      const [owner, name] = forge.repository.split('/').map(encodeURIComponent);
      return {
        url: `${forge.apiUrl}/repos/${owner}/${name}/statuses/${sha}`,
        headers: { Authorization: `token ${token}` },
        body: { state, target_url: targetUrl, description, context: forge.context },
      };
    }
    case 'github': {
      const [owner, name] = forge.repository.split('/').map(encodeURIComponent);
      return {
        url: `${forge.apiUrl}/repos/${owner}/${name}/statuses/${sha}`,
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' },
        body: { state, target_url: targetUrl, description, context: forge.context },
      };
    }
    case 'gitlab':
      return {
        // A project path is one URL-encoded segment (group%2Fproject); an id is itself.
        url: `${forge.apiUrl}/projects/${encodeURIComponent(forge.repository)}/statuses/${sha}`,
        headers: { 'PRIVATE-TOKEN': token },
        body: { state, target_url: targetUrl, description, name: forge.context, ref: report.push.branch },
      };
  }
}

/** Set the commit's status. A result, never a throw (but for `signal`): the caller decides about retries. */
export async function reportCommitStatus(forge: ForgeConfig, report: PushReport, targetUrl: string, signal?: AbortSignal): Promise<PostResult> {
  const request = commitStatusRequest(forge, report, targetUrl);
  const name = `${forge.kind} commit status ${describeUrl(request.url)}`;
  return postOnce(name, request.url, Buffer.from(JSON.stringify(request.body)), {
    'Content-Type': 'application/json',
    ...request.headers,
  }, { signal, timeoutMs: 20_000 });
}
