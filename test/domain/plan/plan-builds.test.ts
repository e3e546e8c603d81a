import { describe, expect, it } from 'vitest';
import { debFormat } from '../../../domain/formats/deb/format';
import { pacmanFormat } from '../../../domain/formats/pacman/format';
import { planBuilds, type PlanRecipe, type PublishedSource } from '../../../domain/plan/plan-builds';

const r = (source: string, binaries: Array<[string, string]>, buildDepends: string[] = [], version = '1.0', treeHash = `t-${source}-${version}`): PlanRecipe =>
  ({ dir: source, treeHash, source, version, buildDepends, binaries: binaries.map(([name, arch]) => ({ name, architectures: arch.split(' ') })) });

// The example tree's shape: a library, a program using it, an arch-all package built with the program, docs.
const tree = [
  r('libkiln', [['libkiln1', 'any'], ['libkiln-dev', 'any']]),
  r('kiln-greet', [['kiln-greet', 'any']], ['debhelper-compat', 'libkiln-dev']),
  r('kiln-motd', [['kiln-motd', 'all']], ['kiln-greet']),
  r('kiln-hello', [['kiln-hello', 'any'], ['kiln-hello-doc', 'all']]),
  r('kiln-docs', [['kiln-docs', 'all']]),
];
const arches = ['amd64', 'i386'];

describe('planBuilds', () => {
  it('plans every package per arch, arch-all once on the first arch, with dependency edges', () => {
    const plan = planBuilds({ arches, recipes: tree, invalid: [], published: [] });
    expect(plan.errors).toEqual([]);
    expect(plan.builds.map((b) => `${b.id}:${b.scope} <- ${b.deps.join(',')}`)).toEqual([
      'kiln-docs/amd64:all <- ',
      'kiln-greet/amd64:any <- libkiln/amd64',
      'kiln-greet/i386:any <- libkiln/i386',
      'kiln-hello/amd64:both <- ',
      'kiln-hello/i386:any <- ',
      'kiln-motd/amd64:all <- kiln-greet/amd64',
      'libkiln/amd64:any <- ',
      'libkiln/i386:any <- ',
    ]);
  });

  it('has one build per source make its source package: the first arch the recipe builds on', () => {
    const recipes = [...tree, r('kiln-i386-only', [['kiln-i386-only', 'i386']])];
    const plan = planBuilds({ arches, recipes, invalid: [], published: [] });
    expect(plan.builds.filter((b) => b.withSource).map((b) => b.id)).toEqual([
      'kiln-docs/amd64', 'kiln-greet/amd64', 'kiln-hello/amd64', 'kiln-i386-only/i386', 'kiln-motd/amd64', 'libkiln/amd64',
    ]);
    // A new arch, the first one published already: no build makes the source again (the snapshot keeps it).
    const published: PublishedSource[] = [{ source: 'libkiln', version: '1.0', treeHash: 't-libkiln-1.0', arches: ['amd64'] }];
    const more = planBuilds({ arches, recipes: [tree[0]], invalid: [], published });
    expect(more.builds.map((b) => [b.id, b.withSource ?? false])).toEqual([['libkiln/i386', false]]);
    // pacman has no source packages.
    const pacman = planBuilds({ format: pacmanFormat, arches: ['x86_64'], invalid: [], published: [], recipes: [r('p', [['p', 'x86_64']])] });
    expect(pacman.builds.map((b) => b.withSource)).toEqual([undefined]);
  });

  it('an i386 build waits for an arch-all dependency built on amd64', () => {
    const plan = planBuilds({ arches, recipes: [r('data', [['kiln-data', 'all']]), r('app', [['app', 'any']], ['kiln-data'])], invalid: [], published: [] });
    expect(plan.builds.find((b) => b.id === 'app/i386')?.deps).toEqual(['data/amd64']);
  });

  it('builds nothing that the repository already has, and names what disappeared', () => {
    const published: PublishedSource[] = [
      ...tree.map((t) => ({ source: t.source, version: t.version, treeHash: t.treeHash, arches })),
      { source: 'kiln-old', version: '0.9', treeHash: 'x', arches },
    ];
    const plan = planBuilds({ arches, recipes: tree, invalid: [], published });
    expect(plan.builds).toEqual([]);
    expect(plan.unchanged.map((u) => u.source)).toEqual(['kiln-docs', 'kiln-greet', 'kiln-hello', 'kiln-motd', 'libkiln']);
    expect(plan.deleted).toEqual(['kiln-old']);
  });

  it('builds a new version, and only the arch that is missing', () => {
    const published: PublishedSource[] = [
      { source: 'libkiln', version: '0.9', treeHash: 'old', arches },
      { source: 'kiln-hello', version: '1.0', treeHash: 't-kiln-hello-1.0', arches: ['amd64'] },
    ];
    const plan = planBuilds({ arches, recipes: [tree[0], tree[3]], invalid: [], published });
    expect(plan.builds.map((b) => b.id)).toEqual(['kiln-hello/i386', 'libkiln/amd64', 'libkiln/i386']);
  });

  it('refuses a package whose content changed but whose version did not', () => {
    const published: PublishedSource[] = [{ source: 'kiln-docs', version: '1.0', treeHash: 'other', arches }];
    const plan = planBuilds({ arches, recipes: [tree[4]], invalid: [], published });
    expect(plan.builds).toEqual([]);
    expect(plan.errors).toEqual([expect.objectContaining({ source: 'kiln-docs', code: 'RECIPE_VERSION_UNCHANGED' })]);
    expect(plan.errors[0].message).toMatch(/raise the version/);
  });

  it('a cycle refuses its members and their dependents; the rest still builds', () => {
    const plan = planBuilds({
      arches: ['amd64'],
      recipes: [r('a', [['a', 'any']], ['b']), r('b', [['b', 'any']], ['a']), r('c', [['c', 'any']], ['a']), r('d', [['d', 'any']])],
      invalid: [], published: [],
    });
    expect(plan.builds.map((b) => b.id)).toEqual(['d/amd64']);
    expect(plan.errors.map((e) => `${e.source}:${e.code}`)).toEqual(['a:DEPENDENCY_CYCLE', 'b:DEPENDENCY_CYCLE', 'c:DEPENDENCY_FAILED']);
    expect(plan.errors[0].message).toBe('build dependency cycle: a → b → a');
  });

  it('an unreadable recipe refuses its dependents transitively', () => {
    const plan = planBuilds({
      arches: ['amd64'],
      recipes: [r('app', [['app', 'any']], ['libbroken-dev']), r('tool', [['tool', 'any']], ['app']), r('ok', [['ok', 'all']])],
      invalid: [{ dir: 'libbroken', source: 'libbroken', code: 'RECIPE_INVALID', message: 'debian/control: no Source field' }],
      published: [],
    });
    // libbroken's binaries are unknown; app depends on a name nobody provides, so it builds (and fails in apt if
    // the mirror lacks it). With the provider known, it is refused:
    expect(plan.builds.map((b) => b.id)).toEqual(['app/amd64', 'ok/amd64', 'tool/amd64']);
    const known = planBuilds({
      arches: ['amd64'],
      recipes: [r('libbroken', [['libbroken-dev', 'any']]), r('app', [['app', 'any']], ['libbroken-dev']), r('tool', [['tool', 'any']], ['app'])],
      invalid: [{ dir: 'libbroken', source: 'libbroken', code: 'RECIPE_INVALID', message: 'bad' }],
      published: [],
    });
    expect(known.builds).toEqual([]);
    expect(known.errors.map((e) => `${e.source}:${e.code}`)).toEqual(['app:DEPENDENCY_FAILED', 'libbroken:RECIPE_INVALID', 'tool:DEPENDENCY_FAILED']);
  });

  it('the same source in two directories is refused', () => {
    const plan = planBuilds({ arches: ['amd64'], recipes: [{ ...r('x', [['x', 'any']]), dir: 'one' }, { ...r('x', [['x', 'any']]), dir: 'two' }], invalid: [], published: [] });
    expect(plan.builds).toEqual([]);
    expect(plan.errors[0]).toMatchObject({ source: 'x', code: 'RECIPE_INVALID' });
  });
});

describe('planBuilds: a binary package belongs to one source', () => {
  it('refuses every source declaring a binary another source declares, naming both; the rest still builds', () => {
    const plan = planBuilds({
      arches, invalid: [], published: [], recipes: [
        r('glibc', [['libc6', 'any'], ['libc6-dev', 'any']]),
        r('kiln-evil', [['kiln-evil', 'any'], ['libc6', 'any']]),
        r('kiln-docs', [['kiln-docs', 'all']]),
      ],
    });
    expect(plan.builds.map((b) => b.id)).toEqual(['kiln-docs/amd64']);
    expect(plan.errors.map((e) => `${e.source}:${e.dir}:${e.code}`)).toEqual(['glibc:glibc:BINARY_DECLARED_TWICE', 'kiln-evil:kiln-evil:BINARY_DECLARED_TWICE']);
    expect(plan.errors[0].message).toBe('glibc declares binary package libc6 (also declared by kiln-evil (kiln-evil)): a binary package belongs to one source; rename it or remove it from all but one');
    expect(plan.errors[1].message).toMatch(/^kiln-evil declares binary package libc6 \(also declared by glibc \(glibc\)\)/);
  });

  it('refuses an already published, unchanged owner too, and the dependents of either', () => {
    const published: PublishedSource[] = [{ source: 'glibc', version: '1.0', treeHash: 't-glibc-1.0', arches }];
    const plan = planBuilds({
      arches, invalid: [], published, recipes: [
        r('glibc', [['libc6', 'any']]),
        r('kiln-evil', [['libc6', 'any']]),
        r('app', [['app', 'any']], ['libc6']),
        r('tool', [['tool', 'any']], ['app']),
      ],
    });
    expect(plan.builds).toEqual([]);
    expect(plan.unchanged).toEqual([]);
    expect(plan.errors.map((e) => `${e.source}:${e.code}`)).toEqual([
      'app:DEPENDENCY_FAILED', 'glibc:BINARY_DECLARED_TWICE', 'kiln-evil:BINARY_DECLARED_TWICE', 'tool:DEPENDENCY_FAILED',
    ]);
  });

  it('names every shared binary and every other source in one error per source', () => {
    const plan = planBuilds({
      arches: ['amd64'], invalid: [], published: [], recipes: [
        r('a', [['x', 'any'], ['y', 'all']]),
        r('b', [['x', 'any']]),
        r('c', [['x', 'any'], ['y', 'all']]),
      ],
    });
    expect(plan.builds).toEqual([]);
    expect(plan.errors.map((e) => e.message.split(':')[0])).toEqual([
      'a declares binary packages x (also declared by b (b), c (c)); y (also declared by c (c))',
      'b declares binary package x (also declared by a (a), c (c))',
      'c declares binary packages x (also declared by a (a), b (b)); y (also declared by a (a))',
    ]);
  });

  it('a source declaring a name once per arch, or in two directories, is not a second owner', () => {
    const one = planBuilds({ arches, invalid: [], published: [], recipes: [{ ...r('x', []), binaries: [{ name: 'x', architectures: ['amd64'] }, { name: 'x', architectures: ['i386'] }] }] });
    expect(one.errors).toEqual([]);
    const two = planBuilds({ arches: ['amd64'], recipes: [{ ...r('x', [['x', 'any']]), dir: 'one' }, { ...r('x', [['x', 'any']]), dir: 'two' }], invalid: [], published: [] });
    expect(two.errors.map((e) => e.code)).toEqual(['RECIPE_INVALID']);
  });

  it('a name whose published owner left the tree (renamed or removed) may be taken', () => {
    const published: PublishedSource[] = [{ source: 'kiln-old', version: '1.0', treeHash: 'x', arches }];
    const plan = planBuilds({ arches, invalid: [], published, recipes: [r('kiln-new', [['kiln-tool', 'any']])] });
    expect(plan.errors).toEqual([]);
    expect(plan.builds.map((b) => b.id)).toEqual(['kiln-new/amd64', 'kiln-new/i386']);
    expect(plan.deleted).toEqual(['kiln-old']);
  });

  describe('through the pacman format: pkgname counts, provides does not', () => {
    const srcinfo = (pkgbase: string, packages: Array<{ name: string; provides?: string[] }>) => {
      const parsed = pacmanFormat.parseRecipe(pkgbase, {
        '.SRCINFO': [
          `pkgbase = ${pkgbase}`, '\tpkgver = 1.0', '\tpkgrel = 1', '\tarch = x86_64', '',
          ...packages.flatMap((p) => [`pkgname = ${p.name}`, ...(p.provides ?? []).map((v) => `\tprovides = ${v}`), '']),
        ].join('\n'),
      });
      if (!parsed.ok) throw new Error(parsed.error.message);
      const rec = parsed.recipe;
      return { dir: pkgbase, treeHash: `t-${pkgbase}`, source: rec.source, version: rec.version, binaries: rec.binaries, buildDepends: rec.buildDependsOn('x86_64') } satisfies PlanRecipe;
    };
    const plan = (recipes: PlanRecipe[]) => planBuilds({ format: pacmanFormat, arches: ['x86_64'], invalid: [], published: [], recipes });

    it('two package bases providing one virtual name both build', () => {
      const p = plan([srcinfo('bash', [{ name: 'bash', provides: ['sh'] }]), srcinfo('dash', [{ name: 'dash', provides: ['sh', 'libdash.so=1-64'] }])]);
      expect(p.errors).toEqual([]);
      expect(p.builds.map((b) => b.id)).toEqual(['bash/x86_64', 'dash/x86_64']);
    });

    it('a split package naming another base\'s pkgname refuses both', () => {
      const p = plan([srcinfo('glibc', [{ name: 'glibc' }, { name: 'lib32-glibc' }]), srcinfo('kiln-evil', [{ name: 'kiln-evil' }, { name: 'glibc' }])]);
      expect(p.builds).toEqual([]);
      expect(p.errors.map((e) => `${e.source}:${e.code}`)).toEqual(['glibc:BINARY_DECLARED_TWICE', 'kiln-evil:BINARY_DECLARED_TWICE']);
      expect(p.errors[1].message).toMatch(/^kiln-evil declares binary package glibc \(also declared by glibc \(glibc\)\)/);
    });
  });
});

describe('planBuilds: arch-qualified and profiled Build-Depends (through the Debian format)', () => {
  const recipe = (source: string, control: string, version = '1.0'): PlanRecipe => {
    const parsed = debFormat.parseRecipe(source, {
      'debian/control': control,
      'debian/changelog': `${source} (${version}) unstable; urgency=medium\n\n  * x\n\n -- A <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n`,
    });
    if (!parsed.ok) throw new Error(parsed.error.message);
    const r = parsed.recipe;
    return { dir: source, treeHash: `t-${source}`, source: r.source, version: r.version, binaries: r.binaries, buildDepends: Object.fromEntries(arches.map((a) => [a, r.buildDependsOn(a)])) };
  };

  it('an edge only on the arches a [arch] list admits, and none for a <stage1>-only dependency', () => {
    const plan = planBuilds({
      format: debFormat, arches, invalid: [], published: [], recipes: [
        recipe('liba', 'Source: liba\n\nPackage: liba-dev\nArchitecture: any\n'),
        recipe('libb', 'Source: libb\n\nPackage: libb-dev\nArchitecture: any\n'),
        recipe('app', 'Source: app\nBuild-Depends: liba-dev [amd64] <!nocheck>, libb-dev <stage1>\n\nPackage: app\nArchitecture: any\n'),
      ],
    });
    expect(plan.errors).toEqual([]);
    expect(plan.builds.find((b) => b.id === 'app/amd64')!.deps).toEqual(['liba/amd64']);
    expect(plan.builds.find((b) => b.id === 'app/i386')!.deps).toEqual([]);
  });
});
