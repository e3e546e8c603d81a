import { describe, expect, it } from 'vitest';
import { commitStatusRequest } from '../../../activities/report/commit-status';
import type { ForgeConfig } from '../../../domain/config';
import type { PushReport } from '../../../domain/report/push-report';
import { Secret } from '../../../domain/secret';

// Each forge's commit status request, as its API reference documents it (Gitea/Forgejo: /api/v1 swagger
// `repoCreateStatus`; GitHub: "Create a commit status"; GitLab: "Set the pipeline status of a commit"). The Gitea one
// is also exercised against a real Gitea in test/e2e/gitea.e2e.test.ts.

const commit = 'c0ffee'.padEnd(40, '0');
const report: PushReport = {
  push: { tree: 'ports', branch: 'release/2.x', commit }, event: 'published', at: 0, requestedBy: 'webhook',
  builds: { total: 4, failed: 0, failures: [] }, snapshot: 12,
};
const forge = (kind: ForgeConfig['kind'], repository: string, apiUrl: string): ForgeConfig => ({
  kind, apiUrl, repository, context: 'kiln/ports', token: new Secret('tok'),
});
const link = `https://kiln.example/pushes/ports/release%2F2.x/${commit}`;

describe('commitStatusRequest', () => {
  it.each(['gitea', 'forgejo'] as const)('%s: /repos/{owner}/{repo}/statuses/{sha} with a token header', (kind) => {
    expect(commitStatusRequest(forge(kind, 'distro/ports', 'https://git.example/api/v1'), report, link)).toEqual({
      url: `https://git.example/api/v1/repos/distro/ports/statuses/${commit}`,
      headers: { Authorization: 'token tok' },
      body: { state: 'success', target_url: link, description: 'published as snapshot 12', context: 'kiln/ports' },
    });
  });

  it('github: the same path, a bearer token and the API version header', () => {
    expect(commitStatusRequest(forge('github', 'distro/ports', 'https://api.github.com'), { ...report, event: 'failed', builds: { total: 4, failed: 1, failures: [] } }, link)).toEqual({
      url: `https://api.github.com/repos/distro/ports/statuses/${commit}`,
      headers: { Authorization: 'Bearer tok', Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' },
      body: { state: 'failure', target_url: link, description: '1 of 4 builds failed', context: 'kiln/ports' },
    });
  });

  it('gitlab: /projects/{id}/statuses/{sha}, the path as one encoded segment, name and ref', () => {
    expect(commitStatusRequest(forge('gitlab', 'group/sub/ports', 'https://gitlab.example/api/v4'), { ...report, event: 'running' }, link)).toEqual({
      url: `https://gitlab.example/api/v4/projects/group%2Fsub%2Fports/statuses/${commit}`,
      headers: { 'PRIVATE-TOKEN': 'tok' },
      body: { state: 'running', target_url: link, description: 'building 4 package builds', name: 'kiln/ports', ref: 'release/2.x' },
    });
  });
});
