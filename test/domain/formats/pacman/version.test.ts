import { describe, expect, it } from 'vitest';
import { isValidPacmanVersion, vercmp } from '../../../../domain/formats/pacman/version';

// pacman's own table (test/util/vercmptest.sh, pacman 6.0.2); each case is also checked the other way round.
const CASES: Array<[string, string, number]> = [
  ['1.5.0', '1.5.0', 0], ['1.5.1', '1.5.0', 1],
  ['1.5.1', '1.5', 1],
  ['1.5.0-1', '1.5.0-1', 0], ['1.5.0-1', '1.5.0-2', -1], ['1.5.0-1', '1.5.1-1', -1], ['1.5.0-2', '1.5.1-1', -1],
  ['1.5-1', '1.5.1-1', -1], ['1.5-2', '1.5.1-1', -1], ['1.5-2', '1.5.1-2', -1],
  ['1.5', '1.5-1', 0], ['1.5-1', '1.5', 0], ['1.1-1', '1.1', 0], ['1.0-1', '1.1', -1], ['1.1-1', '1.0', 1],
  ['1.5b-1', '1.5-1', -1], ['1.5b', '1.5', -1], ['1.5b-1', '1.5', -1], ['1.5b', '1.5.1', -1],
  ['1.0a', '1.0alpha', -1], ['1.0alpha', '1.0b', -1], ['1.0b', '1.0beta', -1], ['1.0beta', '1.0rc', -1], ['1.0rc', '1.0', -1],
  ['1.5.a', '1.5', 1], ['1.5.b', '1.5.a', 1], ['1.5.1', '1.5.b', 1],
  ['1.5.b-1', '1.5.b', 0], ['1.5-1', '1.5.b', -1],
  ['2.0', '2_0', 0], ['2.0_a', '2_0.a', 0], ['2.0a', '2.0.a', -1], ['2___a', '2_a', 1],
  ['0:1.0', '0:1.0', 0], ['0:1.0', '0:1.1', -1], ['1:1.0', '0:1.0', 1], ['1:1.0', '0:1.1', 1], ['1:1.0', '2:1.1', -1],
  ['1:1.0', '0:1.0-1', 1], ['1:1.0-1', '0:1.1-1', 1],
  ['0:1.0', '1.0', 0], ['0:1.0', '1.1', -1], ['0:1.1', '1.0', 1], ['1:1.0', '1.0', 1], ['1:1.0', '1.1', 1], ['1:1.1', '1.1', 1],
];

describe('vercmp', () => {
  it.each(CASES)('%s vs %s is %i (and the reverse)', (a, b, want) => {
    expect(vercmp(a, b)).toBe(want);
    expect(vercmp(b, a)).toBe(want === 0 ? 0 : -want);
  });

  it('compares numbers of any length without overflow, leading zeros ignored', () => {
    expect(vercmp('1.00000000000000000000000000001', '1.1')).toBe(0);
    expect(vercmp('99999999999999999999999999', '99999999999999999999999998')).toBe(1);
  });

  it('an empty epoch is 0, and the release is what follows the last dash', () => {
    expect(vercmp(':1.0', '0:1.0')).toBe(0);
    expect(vercmp('1.0-1-2', '1.0-1-3')).toBe(-1);
  });
});

describe('isValidPacmanVersion', () => {
  it.each(['1.0-1', '2:1.0-1', '1.0rc1+git20240101-2.1', '0.1_beta~1-10'])('accepts %s', (v) => {
    expect(isValidPacmanVersion(v)).toBe(true);
  });
  it.each(['1.0', '1.0-', '-1', '1.0-a', '1:2:3-1', 'a/b-1', '1.0 -1', '1.0\n%NAME%-1', 'x:1.0-1', `${'1'.repeat(200)}-1`, ''])('refuses %j', (v) => {
    expect(isValidPacmanVersion(v)).toBe(false);
  });
});
