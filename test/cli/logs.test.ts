import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildStatus } from '../../domain/build-graph';
import { COMMITS, pushStatus, writeLog, writeRecord } from '../api/routes/rest-fixture';
import { cliFixture, until, type CliFixture } from './cli-fixture';

// kiln logs: a build log whole, its tail, or followed (the API's Server-Sent Events) while the build runs.

let f: CliFixture;
const done = { tree: 'ports', branch: 'main', commit: COMMITS.a };
const single = { tree: 'other', branch: 'main', commit: COMMITS.a };

beforeAll(async () => {
  f = await cliFixture();
  writeRecord(f.layout, pushStatus(done));
  writeLog(f.layout, done, 'hello', 'amd64', 'one\ntwo\nthree\n');
  const status = pushStatus(single);
  writeRecord(f.layout, { ...status, builds: status.builds.filter((b) => b.arch === 'amd64') });
  writeLog(f.layout, single, 'hello', 'amd64', 'only amd64\n');
});
afterAll(() => f.close());

describe('kiln logs', () => {
  it('prints the log of the package on the arch asked for', async () => {
    const res = await f.kiln(['logs', 'ports', 'hello', '--arch', 'amd64']);
    expect(res).toEqual({ code: 0, stdout: 'one\ntwo\nthree\n', stderr: '' });
  });

  it('takes the arch of the only build of the package', async () => {
    const res = await f.kiln(['logs', 'other', 'hello']);
    expect(res).toEqual({ code: 0, stdout: 'only amd64\n', stderr: '' });
  });

  it('asks for --arch when the package builds on several, naming them', async () => {
    const res = await f.kiln(['logs', 'ports', 'hello']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^kiln: USAGE: hello builds on amd64, i386 in push\/ports\/main\/a{40}: choose one with --arch/);
  });

  it('--tail N: the last N lines', async () => {
    const res = await f.kiln(['logs', 'ports', 'hello', '--arch', 'amd64', '--commit', COMMITS.a, '--tail', '2']);
    expect(res.stdout).toBe('two\nthree\n');
  });

  it('--json: the log with what it is of', async () => {
    const res = await f.kiln(['logs', 'other', 'hello', '--json']);
    expect(JSON.parse(res.stdout)).toEqual({ tree: 'other', branch: 'main', commit: COMMITS.a, source: 'hello', arch: 'amd64', text: 'only amd64\n' });
  });

  it.each([
    [['logs', 'ports', 'nosuch'], 'LOG_UNKNOWN'],
    [['logs', 'ports', 'hello', '--arch', 'i386'], 'LOG_UNKNOWN'],
    [['logs', 'ports'], 'USAGE'],
    [['logs', 'ports', 'hello', '--tail', 'x'], 'USAGE'],
  ])('%j: exit 2, %s', async (argv, code) => {
    const res = await f.kiln(argv);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^kiln: ${code}: `));
  });
});

describe('kiln logs --follow', () => {
  let n = 0;
  /** A running push of ports/release/1.x whose hello/amd64 builds, with a log that has `text` so far. */
  function building(text: string) {
    const push = { tree: 'ports', branch: 'release/1.x', commit: (++n).toString(16).padStart(40, '9') };
    const status = pushStatus(push, { state: 'building', finishedAt: undefined, publish: undefined });
    const setState = (state: BuildStatus['state']) => {
      f.control.live.set(status.workflowId, { ...status, builds: status.builds.map((b) => (b.arch === 'amd64' ? { ...b, state } : b)) });
    };
    setState('building');
    const file = writeLog(f.layout, push, 'hello', 'amd64', text);
    return { push, file, setState, argv: ['logs', 'ports', 'hello', '--branch', 'release/1.x', '--commit', push.commit, '--arch', 'amd64', '--follow'] };
  }

  it.each([
    ['succeeded', 0],
    ['failed', 1],
    ['cancelled', 1],
  ] as const)('prints what is appended until the build ends %s: exit %i', async (state, code) => {
    const b = building('first\n');
    let stdout = '';
    const following = f.kiln(b.argv, { onStdout: (all) => { stdout = all; } });
    await until('the first text', () => stdout.includes('first\n'));
    fs.appendFileSync(b.file, 'second\n');
    await until('the appended text', () => stdout.includes('second\n'));
    b.setState(state);
    const res = await following;
    expect(res.stdout).toBe('first\nsecond\n');
    expect(res.code).toBe(code);
    expect(res.stderr).toBe(`kiln: hello/amd64 ${state} (push building)\n`);
  });

  it('--json: one JSON object per line, the end last', async () => {
    const b = building('a\nb\n');
    let stdout = '';
    const following = f.kiln([...b.argv, '--tail', '1', '--json'], { onStdout: (all) => { stdout = all; } });
    await until('the tail', () => stdout.includes('"b\\n"'));
    b.setState('succeeded');
    const res = await following;
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { event: 'log', offset: 2, text: 'b\n' },
      { event: 'end', state: 'succeeded', pushState: 'building' },
    ]);
  });
});
