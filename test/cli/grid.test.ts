import { describe, expect, it } from 'vitest';
import { renderGrid, seconds, type GridBuild } from '../../cli/grid';

// The package × arch grid of `kiln push --wait` (on a terminal) and `kiln status`, as text.

const build = (source: string, arch: string, state: string, over: Partial<GridBuild> = {}): GridBuild =>
  ({ source, version: '1.0-1', arch, state, attempt: 1, ...over });

describe('renderGrid', () => {
  it('is one row per package and one column per arch, packages sorted', () => {
    expect(renderGrid([
      build('zlib', 'amd64', 'waiting'),
      build('hello', 'amd64', 'succeeded', { durationMs: 3_200 }),
      build('hello', 'i386', 'building', { startedAt: 1_000 }),
      build('zlib', 'i386', 'failed', { attempt: 2 }),
      build('libkiln', 'amd64', 'blocked', { version: '12.0' }),
    ], { now: 13_500 })).toEqual([
      'package  version  amd64      i386',
      'hello    1.0-1    ✓ 3.2s     ▶ 13s',
      'libkiln  12.0     ⊘ blocked  -',
      'zlib     1.0-1    · waiting  ✗ failed #2',
    ]);
  });

  it('takes the column order given, and says when a build was reused', () => {
    expect(renderGrid([build('a', 'amd64', 'succeeded', { cached: true }), build('a', 'i386', 'cancelled')], { arches: ['i386', 'amd64'] })).toEqual([
      'package  version  i386         amd64',
      'a        1.0-1    ■ cancelled  ✓ reused',
    ]);
  });

  it('shows each built cell\'s install test once the push reached it', () => {
    expect(renderGrid([
      build('a', 'amd64', 'succeeded', { durationMs: 1_000, installTest: { state: 'passed', attempt: 1 } }),
      build('a', 'i386', 'succeeded', { durationMs: 2_000, installTest: { state: 'failed', attempt: 2 } }),
      build('b', 'amd64', 'succeeded', { cached: true, installTest: { state: 'testing', attempt: 1 } }),
    ])).toEqual([
      'package  version  amd64             i386',
      'a        1.0-1    ✓ 1.0s, test ✓    ✓ 2.0s, test ✗ failed #2',
      'b        1.0-1    ✓ reused, test ▶  -',
    ]);
  });

  it('is only the header without builds', () => {
    expect(renderGrid([], { arches: ['amd64'] })).toEqual(['package  version  amd64']);
  });

  it('keeps what needs looking at when rows are limited', () => {
    const builds = ['a', 'b', 'c', 'd', 'e'].map((s) => build(s, 'amd64', s === 'd' ? 'failed' : 'succeeded', { durationMs: 1_000 }));
    expect(renderGrid(builds, { maxRows: 3 })).toEqual([
      'package  version  amd64',
      'a        1.0-1    ✓ 1.0s',
      'd        1.0-1    ✗ failed',
      '… 3 more packages, all succeeded',
    ]);
    const failing = ['a', 'b', 'c'].map((s) => build(s, 'amd64', 'failed'));
    expect(renderGrid(failing, { maxRows: 2 }).at(-1)).toBe('… 2 more packages');
  });
});

describe('seconds', () => {
  it.each([[0, '0.0s'], [3_249, '3.2s'], [59_900, '59.9s'], [61_000, '1m01s'], [3_600_000, '60m00s']])('%i ms is %s', (ms, text) => {
    expect(seconds(ms)).toBe(text);
  });
});
