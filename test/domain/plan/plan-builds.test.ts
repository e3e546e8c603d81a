import { describe, expect, it } from 'vitest';
import { debFormat } from '../../../domain/formats/deb/format';
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
