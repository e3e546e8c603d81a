import { ApplicationFailure } from '@temporalio/common';
import { LogTimestamp } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { formatLogLine, JsonLogger } from '../../workers/lib/logger';

function capture(options: Partial<ConstructorParameters<typeof JsonLogger>[0]> = {}) {
  const lines: string[] = [];
  const logger = new JsonLogger({ process: 'build-amd64', write: (line) => lines.push(line), ...options });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('JSON logger', () => {
  it('writes one JSON object per line: time, level, process, msg, then the context in a fixed order', () => {
    const { logger, lines, parsed } = capture();
    logger.info('build started', {
      queueWaitSeconds: 0.5, arch: 'amd64', package: 'hello', commit: 'c'.repeat(40), branch: 'main', tree: 'ports',
      push: `push/ports/main/${'c'.repeat(40)}`, sdkComponent: 'activity', taskToken: 'c2VjcmV0', isLocal: false,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [line] = parsed();
    expect(Object.keys(line)).toEqual(['time', 'level', 'process', 'msg', 'push', 'tree', 'branch', 'commit', 'package', 'arch', 'queueWaitSeconds', 'sdkComponent']);
    expect(line).toMatchObject({ level: 'info', process: 'build-amd64', msg: 'build started', package: 'hello', arch: 'amd64', tree: 'ports' });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
    // The activity's task token completes the activity: it never reaches a log.
    expect(lines[0]).not.toContain('c2VjcmV0');
  });

  it('keeps the SDK\'s own lines at WARN and above, and our lines at INFO and above', () => {
    const { logger, parsed } = capture();
    logger.info('Worker state changed', { sdkComponent: 'worker' });
    logger.debug('Activity started', { sdkComponent: 'worker' });
    logger.warn('Activity failed', { sdkComponent: 'worker' });
    logger.info('build finished', { sdkComponent: 'activity' });
    logger.debug('noise', { sdkComponent: 'activity' });
    logger.error('native trouble', { sdkComponent: 'core', target: 'temporal_sdk_core' });
    logger.info('process line');
    expect(parsed().map((l) => `${l.level} ${l.msg}`)).toEqual(['warn Activity failed', 'info build finished', 'error native trouble', 'info process line']);
  });

  it('levels are configurable', () => {
    const { logger, parsed } = capture({ level: 'DEBUG', sdkLevel: 'ERROR' });
    logger.debug('ours');
    logger.warn('sdk', { sdkComponent: 'worker' });
    expect(parsed().map((l) => l.msg)).toEqual(['ours']);
  });

  it('serializes errors, bigints and the forwarded native timestamp; survives circular fields', () => {
    const { logger, lines, parsed } = capture();
    const failure = ApplicationFailure.nonRetryable('build failed with exit code 2', 'BuildFailed');
    logger.warn('Activity failed', { error: failure, durationMs: 12 });
    logger.error('crash', { error: new Error('boom') });
    logger.warn('from core', { [LogTimestamp]: 1_700_000_000_123_000_000n, sdkComponent: 'core', count: 5n });
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    logger.info('odd', { circular });
    const [failed, crash, core, odd] = parsed();
    expect(failed.error).toEqual({ name: 'ApplicationFailure', message: 'build failed with exit code 2', type: 'BuildFailed', nonRetryable: true });
    expect((crash.error as Record<string, string>).stack).toMatch(/boom/);
    expect(core.time).toBe('2023-11-14T22:13:20.123Z');
    expect(core.count).toBe('5');
    expect(odd).toMatchObject({ msg: 'odd', logError: expect.stringMatching(/not serializable/) });
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
  });

  it('a child logger carries its fields on every line, the line\'s own fields winning', () => {
    const { logger, parsed } = capture();
    const child = logger.child({ push: 'push/ports/main/x', arch: 'amd64' });
    child.info('one');
    child.info('two', { arch: 'i386' });
    expect(parsed().map((l) => [l.push, l.arch])).toEqual([['push/ports/main/x', 'amd64'], ['push/ports/main/x', 'i386']]);
  });

  it('fixed fields cannot be overwritten by metadata', () => {
    const line = JSON.parse(formatLogLine('signer', 'INFO', 'signed', { msg: 'spoof', level: 'error', process: 'x', time: 'then' }, new Date(0)));
    expect(line).toEqual({ time: '1970-01-01T00:00:00.000Z', level: 'info', process: 'signer', msg: 'signed' });
  });
});
