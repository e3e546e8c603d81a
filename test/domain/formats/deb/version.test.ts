import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../domain/errors';
import { compareVersions, formatVersion, parseVersion, satisfies } from '../../../../domain/formats/deb/version';

// Every expected value below was produced by `dpkg --compare-versions a lt|eq|gt b` (dpkg 1.21, Debian 12).
const DPKG_ORDER: Array<[string, string, -1 | 0 | 1]> = [
  ['1.0~rc1', '1.0', -1],
  ['1:0.1', '2.0', 1],
  ['1.0-1', '1.0-1.1', -1],
  ['1.0a', '1.0', 1],
  ['1.0+b1', '1.0', 1],
  ['1.0', '1.0-0', 0],
  ['1.0~~', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0~', '1.0~a', -1],
  ['1.0', '1.0.0', -1],
  ['1.0a', '1.0+', -1],
  ['1.0a', '1.0.', -1],
  ['1.2', '1.10', -1],
  ['01.2', '1.2', 0],
  ['0:1.2', '1.2', 0],
  ['1.0-1', '1.0-2', -1],
  ['1.0-1ubuntu1', '1.0-1', 1],
  ['2.0~beta1+dfsg-1', '2.0~beta1-1', 1],
  ['1.0-1~bpo12+1', '1.0-1', -1],
  ['1.0.1', '1.0a', 1],
  ['9', '10', -1],
  ['1.0-10', '1.0-9', 1],
  ['1.0-0.1', '1.0', 1],
  ['2:1', '1:9', 1],
  ['1.0~rc1~git', '1.0~rc1', -1],
  ['1.002', '1.2', 0],
  ['1.0+', '1.0.', -1],
];

describe('compareVersions (dpkg order)', () => {
  it.each(DPKG_ORDER)('%s vs %s is %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    // The order is antisymmetric: swapping the operands flips the sign.
    expect(compareVersions(b, a)).toBe(-expected || 0);
  });

  it('sorts a list the way apt would', () => {
    const versions = ['1.0', '1.0~rc1', '1:0.1', '1.0+b1', '1.0-1', '0.9', '1.0a', '1.0~rc2', '1.0-1.1'];
    expect([...versions].sort(compareVersions)).toEqual(['0.9', '1.0~rc1', '1.0~rc2', '1.0', '1.0-1', '1.0-1.1', '1.0a', '1.0+b1', '1:0.1']);
  });

  it('accepts parsed versions as well as strings', () => {
    expect(compareVersions(parseVersion('2:1.0'), '1:9.9')).toBe(1);
  });
});

describe('parseVersion', () => {
  it('splits epoch, upstream and revision at the first colon and the last hyphen', () => {
    expect(parseVersion('1:2.30-rc1-4+deb12u1')).toEqual({ epoch: 1, upstream: '2.30-rc1', revision: '4+deb12u1' });
    expect(parseVersion('1.0')).toEqual({ epoch: 0, upstream: '1.0', revision: '' });
    expect(parseVersion(' 3:1.0:beta-1 ')).toEqual({ epoch: 3, upstream: '1.0:beta', revision: '1' });
  });

  it('formats back to the canonical text', () => {
    expect(formatVersion(parseVersion('0:1.0-1'))).toBe('1.0-1');
    expect(formatVersion(parseVersion('2:1.0'))).toBe('2:1.0');
  });

  it.each([
    ['', 'version string is empty'],
    ['1.0 beta', 'embedded spaces'],
    [':1.0', 'epoch in version is empty'],
    ['x:1.0', 'epoch in version is not number'],
    ['99999999999:1.0', 'epoch in version is too big'],
    ['1.0-', 'revision number is empty'],
    ['-1', 'version number is empty'],
    ['1:', 'version number is empty'],
    ['v1.0', 'does not start with digit'],
    ['1.0_beta', 'invalid character in version number'],
    ['1.0-1_2', 'invalid character in revision number'],
    ['1.0-1:2', 'epoch in version is not number'],
  ])('refuses %j (%s)', (text, reason) => {
    let caught: unknown;
    try {
      parseVersion(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KilnError);
    expect((caught as KilnError).code).toBe('RECIPE_INVALID');
    expect((caught as KilnError).message).toContain(reason);
  });
});

describe('satisfies', () => {
  it.each([
    ['1.0-1', '>=', '1.0', true],
    ['1.0~rc1', '>=', '1.0', false],
    ['1.0', '<<', '1.0', false],
    ['1.0~rc1', '<<', '1.0', true],
    ['1.0', '<=', '1.0-0', true],
    ['1.0', '=', '0:1.0', true],
    ['1.0-1', '=', '1.0', false],
    ['1.0+b1', '>>', '1.0', true],
    ['1.0', '>>', '1.0', false],
  ] as const)('%s %s %s is %s', (version, op, constraint, expected) => {
    expect(satisfies(version, op, constraint)).toBe(expected);
  });
});
