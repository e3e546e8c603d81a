import { describe, expect, it } from 'vitest';
import { pathInside } from '../../domain/safe-path';

describe('pathInside', () => {
  it('joins parts under the root', () => {
    expect(pathInside('/data/wip', 'amd64', 'a_1.0_amd64.deb')).toBe('/data/wip/amd64/a_1.0_amd64.deb');
  });

  it.each([['../../../../tmp/x'], ['/etc/passwd'], ['..'], ['a\nb']])('refuses %j', (part) => {
    expect(() => pathInside('/data/wip', part, 'Packages')).toThrow('refusing a path outside');
  });
});
