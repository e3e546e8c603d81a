import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RollbackOutcome } from '../../api/data/push-control';
import { COMMITS, pushStatus, switchCurrent, writeRecord, writeSnapshot } from '../api/routes/rest-fixture';
import { cliFixture, type CliFixture } from './cli-fixture';

// retry, cancel and rollback: the API's action routes, with the token from the environment.

let f: CliFixture;
let auth: Record<string, string>;
const running = { tree: 'ports', branch: 'release/1.x', commit: COMMITS.b };
const finished = { tree: 'ports', branch: 'main', commit: COMMITS.a };
const runningId = `push/ports/release/1.x/${COMMITS.b}`;

beforeAll(async () => {
  f = await cliFixture();
  auth = { KILN_API_TOKEN: f.token };
  const live = pushStatus(running, { state: 'failed', finishedAt: undefined, publish: undefined });
  f.control.live.set(live.workflowId, live);
  writeRecord(f.layout, live);
  writeRecord(f.layout, pushStatus(finished));
  writeSnapshot(f.layout, 'ports', 'main', { number: 1, sources: { hello: '1' } });
  writeSnapshot(f.layout, 'ports', 'main', { number: 2, base: 1, sources: { hello: '2' } });
  switchCurrent(f.layout, 'ports', 'main', 2);
});
afterAll(() => f.close());

describe('kiln retry', () => {
  it('retries the failed builds of the branch\'s latest push', async () => {
    const res = await f.kiln(['retry', 'ports', '--branch', 'release/1.x'], { env: auth });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain(`retry requested for ${runningId}\n`);
    expect(f.control.callsOf('retry').pop()).toEqual([runningId, {}]);
  });

  it('retries one package on one arch; --json is the API\'s answer', async () => {
    const res = await f.kiln(['retry', 'ports', '--branch', 'release/1.x', '--commit', COMMITS.b, '--package', 'hello', '--arch', 'i386', '--json'], { env: auth });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ status: 'accepted', workflowId: runningId });
    expect(f.control.callsOf('retry').pop()).toEqual([runningId, { source: 'hello', arch: 'i386' }]);
  });

  it.each([
    [['retry', 'ports', '--commit', COMMITS.a], 'PUSH_NOT_RUNNING'],
    [['retry', 'ports', '--branch', 'release/1.x', '--arch', 'arm64'], 'REQUEST_INVALID'],
    [['retry', 'nope'], 'TREE_UNKNOWN'],
    [['retry', 'ports', '--package'], 'USAGE'],
  ])('%j: exit 2, %s', async (argv, code) => {
    const res = await f.kiln(argv, { env: auth });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^kiln: ${code}: `));
  });
});

describe('kiln cancel', () => {
  it('cancels the push, with the reason given', async () => {
    const res = await f.kiln(['cancel', 'ports', '--branch', 'release/1.x', '--reason', 'wrong branch'], { env: auth });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`cancel requested for ${runningId}`);
    expect(f.control.callsOf('cancel').pop()).toEqual([runningId, 'wrong branch']);
  });

  it('records who cancelled when no reason is given', async () => {
    expect((await f.kiln(['cancel', 'ports', '--branch', 'release/1.x', '--commit', COMMITS.b], { env: auth })).code).toBe(0);
    expect(f.control.callsOf('cancel').pop()).toEqual([runningId, 'cancelled through the API by ci']);
  });

  it('needs a token: exit 4, saying how to get one', async () => {
    const res = await f.kiln(['cancel', 'ports', '--branch', 'release/1.x']);
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/^kiln: TOKEN_MISSING: /);
    expect(res.stderr).toContain('kiln tokens create <name> --save');
    expect(res.stderr).toContain('KILN_API_TOKEN');
  });
});

describe('kiln rollback', () => {
  const done: RollbackOutcome = { state: 'succeeded', result: { outcome: 'published', snapshot: 3, commit: COMMITS.a, targets: [] } };

  /** The fake rollback runs for a few questions, then ends as `outcome`. */
  function rollbackEnds(outcome: RollbackOutcome): void {
    let asked = 0;
    f.control.rollbackOutcome = async (workflowId) => {
      f.control.calls.push({ call: 'rollbackOutcome', args: [workflowId] });
      return ++asked < 3 ? { state: 'running' } : outcome;
    };
  }

  it('asks for the rollback and says where to see how it goes', async () => {
    const res = await f.kiln(['rollback', 'ports', '--to', '1'], { env: auth });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('rollback rollback/ports/main/test: accepted');
    expect(res.stdout).toContain(`outcome:     ${f.url}/api/repos/ports/main/rollbacks/test`);
    expect(f.control.callsOf('rollback').pop()).toEqual([{ tree: 'ports', branch: 'main', to: 1 }]);
  });

  it('--wait: until it is published, exit 0', async () => {
    rollbackEnds(done);
    const res = await f.kiln(['rollback', 'ports', '--wait'], { env: auth });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`ports/main: published snapshot 3 (commit ${COMMITS.a})`);
    expect(f.control.callsOf('rollbackOutcome')).toContainEqual(['rollback/ports/main/test']);
  });

  it('--wait --json: the rollback\'s outcome', async () => {
    rollbackEnds(done);
    const res = await f.kiln(['rollback', 'ports', '--wait', '--json'], { env: auth });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ workflowId: 'rollback/ports/main/test', state: 'succeeded', result: { snapshot: 3 } });
  });

  it('--wait: exit 1 when it failed, saying why', async () => {
    rollbackEnds({ state: 'failed', error: { type: 'SNAPSHOT_ARTIFACT_MISSING', message: 'hello_1_amd64.deb is gone' } });
    const res = await f.kiln(['rollback', 'ports', '--wait'], { env: auth });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('ports/main: rollback failed: SNAPSHOT_ARTIFACT_MISSING: hello_1_amd64.deb is gone');
  });

  it.each([
    [['rollback', 'ports', '--to', '9'], 'SNAPSHOT_UNKNOWN'],
    [['rollback', 'ports', '--to', 'two'], 'USAGE'],
    [['rollback', 'ports', '--branch', 'release/1.x'], 'SNAPSHOT_UNKNOWN'],
  ])('%j: exit 2, %s', async (argv, code) => {
    const res = await f.kiln(argv, { env: auth });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^kiln: ${code}: `));
  });
});
