import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushStatus } from '../../domain/push';
import { pushWorkflowId } from '../../domain/workflow-ids';
import { COMMITS, pushStatus } from '../api/routes/rest-fixture';
import { cliFixture, type CliFixture } from './cli-fixture';

// `kiln push` through the API: the answer, and --wait following the push (a fake Temporal whose status moves on at
// each question) until it is decided.

let f: CliFixture;
let auth: Record<string, string>;
beforeAll(async () => {
  f = await cliFixture();
  auth = { KILN_API_TOKEN: f.token };
});
afterAll(() => f.close());

let n = 0;
const freshCommit = () => (++n).toString(16).padStart(40, '7');

type Build = PushStatus['builds'][number];
/** The push of `commit` on ports/main at one moment: hello on amd64 and i386 in the states given. */
function at(commit: string, state: PushStatus['state'], amd64: Partial<Build>, i386: Partial<Build> = amd64, over: Partial<PushStatus> = {}): PushStatus {
  const base = pushStatus({ tree: 'ports', branch: 'main', commit }, { state, finishedAt: undefined, publish: undefined, ...over });
  base.builds = base.builds.map((b) => {
    const change = b.arch === 'amd64' ? amd64 : i386;
    return { ...b, startedAt: undefined, finishedAt: undefined, ...change };
  });
  return base;
}

const building = { state: 'building' as const, startedAt: 2_000 };
const succeeded = { state: 'succeeded' as const, startedAt: 2_000, finishedAt: 5_200 };
const published = { outcome: 'published' as const, snapshot: 4, commit: '', targets: [] };

describe('kiln push', () => {
  it('asks the API to push the commit and says where to follow it', async () => {
    const commit = freshCommit();
    const res = await f.kiln(['push', 'ports', '--branch', 'release/1.x', '--commit', commit], { env: auth });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain(`push push/ports/release/1.x/${commit}: accepted`);
    expect(res.stdout).toContain(`kiln status ports --branch release/1.x --commit ${commit}`);
    expect(f.started.at(-1)).toEqual({ push: { tree: 'ports', branch: 'release/1.x', commit }, requestedBy: 'api:ci' });
  });

  it('pushes the head of the tree\'s first branch by default', async () => {
    const res = await f.kiln(['push', 'ports'], { env: auth });
    expect(res.code).toBe(0);
    expect(f.started.at(-1)?.push).toEqual({ tree: 'ports', branch: 'main', commit: COMMITS.head });
  });

  it('--json prints the API\'s answer and nothing else', async () => {
    const commit = freshCommit();
    const res = await f.kiln(['push', 'ports', '--commit', commit, '--json'], { env: auth });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toMatchObject({
      status: 'accepted', workflowId: `push/ports/main/${commit}`, url: `/api/pushes/ports/main/${commit}`, push: { tree: 'ports', branch: 'main', commit },
    });
  });

  it('refuses a short commit before asking anything', async () => {
    const res = await f.kiln(['push', 'ports', '--commit', 'abc123'], { env: auth });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^kiln: USAGE: --commit must be a full 40-digit hex commit id/);
  });
});

describe('kiln push --wait', () => {
  it('follows the builds until the push is published: exit 0, a line per change', async () => {
    const commit = freshCommit();
    f.control.progressions.set(pushWorkflowId('ports', 'main', commit), [
      undefined, // not started yet: the API says PUSH_UNKNOWN for a moment
      at(commit, 'planning', {}, {}, { builds: [] }),
      at(commit, 'building', building, { state: 'waiting' }),
      at(commit, 'building', succeeded, building),
      at(commit, 'publishing', succeeded, succeeded),
      at(commit, 'succeeded', succeeded, succeeded, { publish: { ...published, commit }, finishedAt: 9_000 }),
    ]);
    const res = await f.kiln(['push', 'ports', '--commit', commit, '--wait'], { env: auth });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines).toContain('▶ amd64  hello 1.0-1: building');
    expect(lines).toContain('✓ amd64  hello 1.0-1: succeeded in 3.2 s');
    expect(lines).toContain('✓ i386   hello 1.0-1: succeeded in 3.2 s');
    expect(lines).toContain('— building: 1 succeeded, 1 building (2 builds)');
    expect(lines).toContain('— publishing: 2 succeeded (2 builds)');
    expect(lines).toContain(`push/ports/main/${commit}: succeeded, published as snapshot 4`);
    // Each change once: the waiting build's first state is not news.
    expect(lines.filter((l) => l.startsWith('▶ amd64'))).toHaveLength(1);
    expect(lines.filter((l) => l.endsWith(': waiting'))).toEqual([]);
  });

  it('ends with exit 1 when a build failed, listing every failure with its log', async () => {
    const commit = freshCommit();
    const failed = at(commit, 'failed', {
      state: 'failed', startedAt: 2_000, finishedAt: 3_000, error: { type: 'BUILD_FAILED', message: 'dpkg-buildpackage exited 2' },
    }, { state: 'blocked', blockedBy: ['libfoo/i386'] });
    f.control.progressions.set(pushWorkflowId('ports', 'main', commit), [at(commit, 'building', building), failed]);
    const res = await f.kiln(['push', 'ports', '--commit', commit, '--wait'], { env: auth });
    expect(res.code).toBe(1);
    const out = res.stdout;
    expect(out).toContain('✗ amd64  hello 1.0-1: failed in 1.0 s: BUILD_FAILED: dpkg-buildpackage exited 2');
    expect(out).toContain(`push/ports/main/${commit}: failed (awaiting retry or cancel)`);
    expect(out).toContain('  ✗ hello/amd64: BUILD_FAILED: dpkg-buildpackage exited 2');
    expect(out).toContain(`      log: ${f.url}/api/logs/ports/main/${commit}/hello/amd64`);
    expect(out).toContain('  ⊘ hello/i386: blocked by libfoo/i386');
    expect(out).toContain(`  retry: kiln retry ports --branch main --commit ${commit}`);
  });

  it.each([
    ['cancelled', { state: 'cancelled' as const }],
    ['superseded', { state: 'superseded' as const, supersededBy: 'push/ports/main/x' }],
    ['publish failed', { state: 'failed' as const, publish: { outcome: 'failed' as const, targets: [], error: { type: 'SNAPSHOT_BASE_CHANGED', message: 'moved' } } }],
  ])('ends with exit 1 when the push was %s', async (_what, over) => {
    const commit = freshCommit();
    f.control.progressions.set(pushWorkflowId('ports', 'main', commit), [at(commit, over.state, succeeded, succeeded, over)]);
    const res = await f.kiln(['push', 'ports', '--commit', commit, '--wait'], { env: auth });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`push/ports/main/${commit}: ${over.state}`);
  });

  it('--json: progress on stderr, the decided push alone on stdout', async () => {
    const commit = freshCommit();
    f.control.progressions.set(pushWorkflowId('ports', 'main', commit), [
      at(commit, 'building', building),
      at(commit, 'succeeded', succeeded, succeeded, { publish: { ...published, commit } }),
    ]);
    const res = await f.kiln(['push', 'ports', '--commit', commit, '--wait', '--json'], { env: auth });
    expect(res.code).toBe(0);
    const push = JSON.parse(res.stdout);
    expect(push).toMatchObject({ workflowId: `push/ports/main/${commit}`, state: 'succeeded', publish: { outcome: 'published', snapshot: 4 } });
    expect(res.stderr).toContain('▶ amd64  hello 1.0-1: building');
    expect(res.stderr).toContain('— succeeded: 2 succeeded (2 builds)');
  });

  it('redraws a grid in place on a terminal', async () => {
    const commit = freshCommit();
    f.control.progressions.set(pushWorkflowId('ports', 'main', commit), [
      at(commit, 'building', building, { state: 'waiting' }),
      at(commit, 'succeeded', succeeded, succeeded, { publish: { ...published, commit } }),
    ]);
    const res = await f.kiln(['push', 'ports', '--commit', commit, '--wait'], { env: auth, isTTY: true });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('  package  version  amd64   i386');
    expect(res.stdout).toContain('  hello    1.0-1    ✓ 3.2s  ✓ 3.2s');
    // The second drawing goes back over the first (3 lines: summary, header, hello).
    expect(res.stdout).toContain('\x1b[3A\r\x1b[J');
    expect(res.stdout).not.toContain('— ');
  });
});
