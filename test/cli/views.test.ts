import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMITS, pushStatus, writeRecord } from '../api/routes/rest-fixture';
import { cliFixture, type CliFixture } from './cli-fixture';

// The read-only views: status (one push) and pushes (the list), from records on disk and the fake Temporal.

let f: CliFixture;
const done = { tree: 'ports', branch: 'main', commit: COMMITS.a };
const failing = { tree: 'ports', branch: 'main', commit: COMMITS.c };

beforeAll(async () => {
  f = await cliFixture();
  writeRecord(f.layout, pushStatus(done, { startedAt: 1_000 }));
  const failed = pushStatus(failing, { state: 'failed', startedAt: 20_000, finishedAt: undefined, publish: undefined });
  failed.builds[0] = { ...failed.builds[0], state: 'failed', error: { type: 'BUILD_FAILED', message: 'make: *** [all] Error 2' } };
  writeRecord(f.layout, failed);
  f.control.live.set(failed.workflowId, failed);
  writeRecord(f.layout, pushStatus({ tree: 'ports', branch: 'release/1.x', commit: COMMITS.b }, { startedAt: 30_000 }));
});
afterAll(() => f.close());

describe('kiln status', () => {
  it('shows the branch\'s latest push by default: grid, failures with their logs, what to do', async () => {
    const res = await f.kiln(['status', 'ports']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const lines = res.stdout.split('\n');
    expect(lines[0]).toBe(`push/ports/main/${COMMITS.c}: failed: 1 succeeded, 1 failed (2 builds)`);
    expect(lines).toContain('  package  version  amd64     i386');
    expect(lines).toContain('  hello    1.0-1    ✗ failed  ✓ 3.0s');
    expect(lines).toContain('  ✗ hello/amd64: BUILD_FAILED: make: *** [all] Error 2');
    expect(lines).toContain(`      log: ${f.url}/api/logs/ports/main/${COMMITS.c}/hello/amd64`);
    expect(lines).toContain(`  retry: kiln retry ports --branch main --commit ${COMMITS.c}`);
  });

  it('shows the commit asked for, on the branch asked for', async () => {
    const res = await f.kiln(['status', 'ports', '--commit', COMMITS.a]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`push/ports/main/${COMMITS.a}: succeeded, published as snapshot 1`);
    const other = await f.kiln(['status', 'ports', '--branch', 'release/1.x']);
    expect(other.stdout).toContain(`push/ports/release/1.x/${COMMITS.b}: succeeded`);
  });

  it('--json prints the API\'s push', async () => {
    const res = await f.kiln(['status', 'ports', '--commit', COMMITS.a, '--json']);
    expect(res.code).toBe(0);
    const push = JSON.parse(res.stdout);
    expect(push).toMatchObject({ workflowId: `push/ports/main/${COMMITS.a}`, state: 'succeeded', source: 'record', buildCounts: { total: 2, succeeded: 2 } });
    expect(push.builds[0].logUrl).toBe(`/api/logs/ports/main/${COMMITS.a}/hello/amd64`);
  });

  it.each([
    [['status', 'nope'], 'TREE_UNKNOWN'],
    [['status', 'ports', '--branch', 'stray'], 'BRANCH_UNKNOWN'],
    [['status', 'ports', '--commit', COMMITS.d], 'PUSH_UNKNOWN'],
    [['status', 'other'], 'PUSH_UNKNOWN'],
    [['status'], 'USAGE'],
    [['status', 'ports', '--to', '3'], 'USAGE'],
  ])('%j: exit 2, %s', async (argv, code) => {
    const res = await f.kiln(argv);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.split('\n')[0]).toMatch(new RegExp(`^kiln: ${code}: `));
  });

  it('--json puts the error on stdout too', async () => {
    const res = await f.kiln(['status', 'nope', '--json']);
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout).error.code).toBe('TREE_UNKNOWN');
  });
});

describe('kiln pushes', () => {
  it('lists pushes newest first', async () => {
    const res = await f.kiln(['pushes']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^succeeded +ports\/release\/1\.x +bbbbbbbbbbbb {2}1970-01-01T00:00:30\.000Z {2}2\/2 built, snapshot 1$/);
    expect(lines[1]).toMatch(/^failed +ports\/main +cccccccccccc /);
  });

  it('filters by tree, branch and state; --json is the API\'s page', async () => {
    const res = await f.kiln(['pushes', 'ports', '--branch', 'main', '--state', 'succeeded', '--json']);
    expect(res.code).toBe(0);
    const page = JSON.parse(res.stdout);
    expect(page.pushes.map((p: { commit: string }) => p.commit)).toEqual([COMMITS.a]);
  });

  it('pages with --limit and says how to go on', async () => {
    const res = await f.kiln(['pushes', 'ports', '--limit', '1']);
    expect(res.code).toBe(0);
    const more = /^more: kiln pushes ports --limit 1 --cursor (\S+)$/m.exec(res.stdout);
    expect(more).not.toBeNull();
    const next = await f.kiln(['pushes', 'ports', '--limit', '1', '--cursor', more![1], '--json']);
    expect(JSON.parse(next.stdout).pushes[0].commit).toBe(COMMITS.c);
  });

  it.each([
    [['pushes', '--branch', 'main'], 'USAGE'],
    [['pushes', '--limit', '0'], 'USAGE'],
    [['pushes', 'ports', '--state', 'odd'], 'REQUEST_INVALID'],
  ])('%j: exit 2, %s', async (argv, code) => {
    const res = await f.kiln(argv);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^kiln: ${code}: `));
  });
});
