import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { compactContext, renderChildLine, renderNote } from '../../workers/lib/log-render';
import { formatLogLine } from '../../workers/lib/logger';

// Lines as the processes really write them: ours through formatLogLine, the API's as fastify's pino does.
const COMMIT = '3f2a9c1d0b7e5a4c3f2a9c1d0b7e5a4c3f2a9c1d';
const PUSH = { push: `push/example/main/${COMMIT}`, tree: 'example', branch: 'main', commit: COMMIT };
// Local time: the terminal shows the clock of the person reading it.
const TIME = new Date(2025, 4, 6, 14, 2, 7);
const plain = { color: false, now: TIME };
const ESC = '\x1b[';

describe('renderChildLine', () => {
  it('a build event: time, process, message, then tree/branch@commit and package/arch, and its duration', () => {
    const line = formatLogLine('build-amd64', 'INFO', 'build finished', {
      ...PUSH, package: 'kiln-hello', arch: 'amd64', durationMs: 11_630, key: 'k'.repeat(64), results: 2, sdkComponent: 'activity',
    }, TIME);
    expect(renderChildLine('build-amd64', line, plain))
      .toBe('14:02:07 build-amd64   build finished  example/main@3f2a9c1d0b7e kiln-hello/amd64  11.6 s');
  });

  it('a completed activity is named by its event; bookkeeping activities are not shown', () => {
    const done = (activityType: string, meta: Record<string, unknown> = {}) => renderChildLine('orchestrator',
      formatLogLine('orchestrator', 'INFO', 'activity completed', { ...PUSH, activityType, durationMs: 420, ...meta }, TIME), plain);
    expect(done('planPush')).toBe('14:02:07 orchestrator  push planned  example/main@3f2a9c1d0b7e  420 ms');
    expect(done('switchCurrent', { push: undefined, commit: undefined, snapshot: '3' })).toBe('14:02:07 orchestrator  snapshot published  example/main snapshot 3  420 ms');
    expect(done('someNewActivity')).toBe('14:02:07 orchestrator  someNewActivity completed  example/main@3f2a9c1d0b7e  420 ms');
    for (const type of ['writePushRecord', 'prepareBuild', 'recordBuild', 'addToWip', 'assembleSnapshot', 'completeSnapshot']) {
      expect(done(type)).toBeUndefined();
    }
  });

  it('a failed activity is a warning with its attempt and the error message, on one line', () => {
    const error = ApplicationFailure.create({ message: 'build failed:\n  exit status 2', type: 'BUILD_FAILED' });
    const line = formatLogLine('build-i386', 'WARN', 'Activity failed', {
      ...PUSH, package: 'kiln-hello', arch: 'i386', activityType: 'runBuild', attempt: 2, error, sdkComponent: 'worker',
    }, TIME);
    expect(renderChildLine('build-i386', line, plain))
      .toBe('14:02:07 build-i386    WARN runBuild failed  example/main@3f2a9c1d0b7e kiln-hello/i386  attempt 2: build failed: exit status 2');
    const coloured = renderChildLine('build-i386', line, { color: true, now: TIME })!;
    expect(coloured).toContain(`${ESC}33mWARN runBuild failed${ESC}39m`);
    expect(coloured).toContain(`${ESC}31m: build failed: exit status 2${ESC}39m`);
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(renderChildLine('build-i386', line, plain));
  });

  it('errors are red and never hidden; debug is hidden unless asked for, then dim', () => {
    const error = formatLogLine('signer', 'ERROR', 'native trouble', { sdkComponent: 'core', err: new Error('socket closed') }, TIME);
    expect(renderChildLine('signer', error, plain)).toBe('14:02:07 signer        ERROR native trouble: socket closed');
    expect(renderChildLine('signer', error, { color: true, now: TIME })).toContain(`${ESC}31mERROR native trouble${ESC}39m`);
    const debug = formatLogLine('signer', 'DEBUG', 'details', {}, TIME);
    expect(renderChildLine('signer', debug, plain)).toBeUndefined();
    expect(renderChildLine('signer', debug, { ...plain, minLevel: 'debug' })).toBe('14:02:07 signer        details');
    expect(renderChildLine('signer', debug, { color: true, now: TIME, minLevel: 'debug' })).toContain(`${ESC}2mdetails${ESC}22m`);
    // A warning is shown even to a terminal that asked for errors only.
    expect(renderChildLine('signer', formatLogLine('signer', 'WARN', 'slow', {}, TIME), { ...plain, minLevel: 'error' })).toBe('14:02:07 signer        WARN slow');
  });

  it('the API: our fastify lines with their context; fastify\'s per-request lines are not shown', () => {
    const pino = (fields: Record<string, unknown>) => JSON.stringify({ level: 30, time: TIME.getTime(), pid: 7, hostname: 'h', ...fields });
    expect(renderChildLine('api', pino({ reqId: 'req-1', tree: 'example', branch: 'main', commit: COMMIT, workflowId: PUSH.push, msg: 'push accepted' }), plain))
      .toBe('14:02:07 api           push accepted  example/main@3f2a9c1d0b7e');
    expect(renderChildLine('api', pino({ reqId: 'req-2', by: 'laptop', msg: 'web UI sign-in' }), plain)).toBe('14:02:07 api           web UI sign-in  by laptop');
    expect(renderChildLine('api', pino({ reqId: 'req-1', req: { method: 'GET', url: '/' }, msg: 'incoming request' }), plain)).toBeUndefined();
    expect(renderChildLine('api', pino({ reqId: 'req-1', res: { statusCode: 200 }, responseTime: 1.5, msg: 'request completed' }), plain)).toBeUndefined();
    expect(renderChildLine('api', pino({ msg: 'Server listening at http://127.0.0.1:8080' }), plain)).toBeUndefined();
    expect(renderChildLine('api', pino({ digest: 'a'.repeat(64), msg: 'blob stored' }), plain)).toBeUndefined();
    expect(renderChildLine('api', pino({ level: 50, reqId: 'req-3', err: { type: 'Error', message: 'disk full', stack: 'Error: disk full\n  at x' }, msg: 'disk full' }), plain))
      .toBe('14:02:07 api           ERROR disk full: disk full');
  });

  it('plain lines pass through as they are, behind the process label; stderr red when coloured', () => {
    expect(renderChildLine('api', 'kiln api: listening on http://127.0.0.1:8080 (Temporal 127.0.0.1:7233)', plain))
      .toBe('14:02:07 api           kiln api: listening on http://127.0.0.1:8080 (Temporal 127.0.0.1:7233)');
    for (const line of ['{not json', '[1,2]', '{"msg":"no level"}', '"a string"', '']) {
      expect(renderChildLine('orchestrator', line, plain)).toBe(`14:02:07 orchestrator  ${line}`);
    }
    expect(renderChildLine('orchestrator', 'Error: boom', { ...plain, color: true, stream: 'stderr' })).toContain(`${ESC}31mError: boom${ESC}39m`);
    expect(renderChildLine('orchestrator', 'Error: boom', { ...plain, stream: 'stderr' })).toBe('14:02:07 orchestrator  Error: boom');
  });

  it('never throws, whatever the fields hold, and keeps control characters off the terminal', () => {
    const odd = [
      '{"level":"info","msg":"x","activityType":{"toString":1},"tree":{"a":1},"durationMs":"soon","attempt":"2","err":{"message":7}}',
      '{"level":{},"msg":"x"}',
      '{"level":"info","msg":42,"time":"not a time"}',
      '{"level":"loud","msg":"unknown level","time":1e300}',
      '{"level":"warn","msg":"x","error":{"toString":null,"message":{"a":1}}}',
      '{"__proto__":{"level":"error"},"msg":"x"}',
    ];
    for (const line of odd) expect(() => renderChildLine('api', line, plain)).not.toThrow();
    expect(renderChildLine('api', odd[0], plain)).toBe('14:02:07 api           x');
    expect(renderChildLine('api', odd[2], plain)).toBe('14:02:07 api           ');
    const sneaky = formatLogLine('api', 'WARN', 'webhook ignored\u001b[2J', { tree: 'example', reason: 'branch\u001b]0;owned\u0007\u009b' }, TIME);
    const rendered = renderChildLine('api', sneaky, plain)!;
    expect(rendered).not.toMatch(/[\x00-\x1f]/);
    expect(rendered).toBe('14:02:07 api           WARN webhook ignored?[2J  example  branch?]0;owned??');
  });
});

describe('compactContext', () => {
  it('shortens the commit, and shows what is known', () => {
    expect(compactContext({ ...PUSH, snapshot: 4, package: 'kiln-hello', arch: 'arm64' })).toBe('example/main@3f2a9c1d0b7e snapshot 4 kiln-hello/arm64');
    expect(compactContext({ tree: 'example', branch: 'release/1.x' })).toBe('example/release/1.x');
    expect(compactContext({ arch: 'i386' })).toBe('i386');
    expect(compactContext({ push: PUSH.push })).toBe(PUSH.push);
    expect(compactContext({})).toBe('');
  });
});

describe('renderNote', () => {
  it('the supervisor\'s word about a process, in the same columns, yellow when coloured', () => {
    expect(renderNote('signer', 'exited (code 1); restarting in 2 s', plain)).toBe('14:02:07 signer        exited (code 1); restarting in 2 s');
    expect(renderNote('signer', 'exited', { color: true, now: TIME })).toContain(`${ESC}33mexited${ESC}39m`);
  });
});
