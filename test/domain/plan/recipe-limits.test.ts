import { describe, expect, it } from 'vitest';
import { escapingSymlink, recipeSizeProblem, RECIPE_MAX_BYTES, RECIPE_MAX_FILES } from '../../../domain/plan/recipe-limits';

describe('escapingSymlink', () => {
  const escapes = (links: Record<string, string>) => escapingSymlink(new Map(Object.entries(links)));

  it('accepts links that stay inside, dangling ones included', () => {
    expect(escapes({ 'debian/guide': '../GUIDE.txt', a: 'b/c', 'x/y': '../x', dangling: 'not/there', self: '.' })).toBeUndefined();
  });

  it.each([
    ['an absolute target', { passwd: '/etc/passwd' }, 'passwd'],
    ['.. past the top', { up: '..' }, 'up'],
    ['.. past the top from below', { 'debian/up': '../../x' }, 'debian/up'],
    // Lexically a/b/.. is a; really a/b is the package root, and .. leaves it.
    ['.. after another link', { 'a/b': '..', c: 'a/b/..' }, 'c'],
    ['a chain that ends outside', { one: 'two', two: '/tmp' }, 'one'],
    ['a loop', { p: 'q', q: 'p/x' }, 'p'],
  ])('refuses %s', (_what, links, first) => {
    expect(escapes(links)).toBe(first);
  });
});

describe('recipeSizeProblem', () => {
  it('is undefined at the limits and names the limit past them', () => {
    expect(recipeSizeProblem(RECIPE_MAX_FILES, RECIPE_MAX_BYTES)).toBeUndefined();
    expect(recipeSizeProblem(RECIPE_MAX_FILES + 1, 0)).toMatch(/at most 20000/);
    expect(recipeSizeProblem(1, RECIPE_MAX_BYTES + 1)).toMatch(/256 MiB/);
  });
});
