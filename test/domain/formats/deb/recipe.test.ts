import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDebRecipe } from '../../../../domain/formats/deb/recipe';

const CONTROL = `Source: kiln-greet
Maintainer: Kiln Examples <examples@kiln.invalid>
Build-Depends: debhelper-compat (= 13),
               libkiln-dev (>= 1.0) | libkiln-static-dev,

Package: kiln-greet
Architecture: any
Depends: \${misc:Depends}, \${shlibs:Depends}
`;
const CHANGELOG = 'kiln-greet (1.2~rc1) bookworm; urgency=medium\n\n  * Release.\n';

describe('parseDebRecipe', () => {
  it('combines debian/control and the first changelog entry', () => {
    expect(parseDebRecipe({ dir: 'greet', control: CONTROL, changelog: CHANGELOG })).toEqual({
      ok: true,
      recipe: {
        dir: 'greet',
        source: 'kiln-greet',
        version: '1.2~rc1',
        binaries: [{ name: 'kiln-greet', architecture: ['any'], depends: '${misc:Depends}, ${shlibs:Depends}' }],
        buildDepends: [
          [{ name: 'debhelper-compat', version: { op: '=', version: '13' } }],
          [{ name: 'libkiln-dev', version: { op: '>=', version: '1.0' } }, { name: 'libkiln-static-dev' }],
        ],
      },
    });
  });

  it('refuses a changelog whose source differs from debian/control', () => {
    const result = parseDebRecipe({ dir: 'greet', control: CONTROL, changelog: 'kiln-hello (1.0) bookworm; urgency=low\n' });
    expect(result).toEqual({
      ok: false,
      error: { code: 'RECIPE_INVALID', message: 'debian/changelog names source "kiln-hello" but debian/control says "kiln-greet"' },
    });
  });

  it('returns (never throws) the error of a bad debian/control, naming the file and line', () => {
    const result = parseDebRecipe({ dir: 'x', control: 'Source: kiln-greet\n\nPackage: kiln-greet\n', changelog: CHANGELOG });
    expect(result).toEqual({
      ok: false,
      error: { code: 'RECIPE_INVALID', message: 'debian/control: line 3: binary package kiln-greet has no Architecture field' },
    });
  });

  it('returns the error of a bad debian/changelog, naming the file and line', () => {
    const result = parseDebRecipe({ dir: 'x', control: CONTROL, changelog: '\nkiln-greet (1.0) bookworm\n' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('RECIPE_INVALID');
    expect(result.error.message).toMatch(/^debian\/changelog: line 2: expected a changelog header/);
  });

  it.each([
    ['empty control', '', CHANGELOG, 'debian/control: debian/control is empty'],
    ['empty changelog', CONTROL, '', 'debian/changelog: debian/changelog is empty'],
    ['binary garbage', '\u0000\u0001\u0002', '\u0000', 'debian/control: line 1: expected "Field: value", got "\\u0000\\u0001\\u0002"'],
  ])('refuses %s', (_label, control, changelog, message) => {
    const result = parseDebRecipe({ dir: 'x', control, changelog });
    expect(result).toEqual({ ok: false, error: { code: 'RECIPE_INVALID', message } });
  });
});

// The example ports tree ships in the repository; every package in it must stay a valid recipe.
describe('examples/ports', () => {
  const root = join(__dirname, '../../../../examples/ports');
  const dirs = readdirSync(root).filter((d) => existsSync(join(root, d, 'debian/control'))).sort();
  const recipes = dirs.map((dir) => {
    const read = (f: string) => readFileSync(join(root, dir, 'debian', f), 'utf8');
    const result = parseDebRecipe({ dir, control: read('control'), changelog: read('changelog') });
    if (!result.ok) throw new Error(`${dir}: ${result.error.message}`);
    return result.recipe;
  });

  it('holds the five example packages with their binaries and build dependencies', () => {
    expect(recipes.map((r) => ({
      source: r.source,
      version: r.version,
      binaries: r.binaries.map((b) => `${b.name}:${b.architecture.join(' ')}`),
      buildDepends: r.buildDepends.map((alts) => alts.map((a) => a.name).join('|')),
    }))).toEqual([
      { source: 'kiln-docs', version: '1.0', binaries: ['kiln-docs:all'], buildDepends: ['debhelper-compat'] },
      { source: 'kiln-greet', version: '1.0', binaries: ['kiln-greet:any'], buildDepends: ['debhelper-compat', 'libkiln-dev'] },
      { source: 'kiln-hello', version: '1.0', binaries: ['kiln-hello:any', 'kiln-hello-doc:all'], buildDepends: ['debhelper-compat'] },
      { source: 'kiln-motd', version: '1.0', binaries: ['kiln-motd:all'], buildDepends: ['debhelper-compat', 'kiln-greet'] },
      { source: 'libkiln', version: '1.0', binaries: ['libkiln1:any', 'libkiln-dev:any'], buildDepends: ['debhelper-compat'] },
    ]);
  });

  it('uses the directory name as the source name', () => {
    expect(recipes.map((r) => r.source)).toEqual(dirs);
  });
});
