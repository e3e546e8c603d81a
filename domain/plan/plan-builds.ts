import type { BinaryScope } from '../build';
import type { PlannedBuild } from '../build-graph';
import { debFormat } from '../formats/deb/format';
import { isArchIndependent, type PackageFormat } from '../formats/format';
import type { PlanError } from '../push';

// Planning as pure code: from the recipes at the pushed commit and what the branch's repository already has, decide
// what to build on which arch, in which order, and which packages are refused. Unit-tested without git or Docker.

/** A recipe reduced to what planning needs (format-neutral). */
export interface PlanRecipe {
  dir: string;
  treeHash: string;
  source: string;
  version: string;
  binaries: Array<{ name: string; architectures: string[] }>;
  /** Every package name the build depends on, alternatives included: on every arch, or per arch. */
  buildDepends: readonly string[] | Readonly<Record<string, readonly string[]>>;
}

function buildDependsOn(recipe: PlanRecipe, arch: string): readonly string[] {
  const deps = recipe.buildDepends;
  return Array.isArray(deps) ? deps : (deps as Readonly<Record<string, readonly string[]>>)[arch] ?? [];
}

export interface PublishedSource {
  source: string;
  version: string;
  treeHash: string;
  arches: string[];
}

export interface PlanInput {
  /** The tree's format (Debian when absent). */
  format?: PackageFormat;
  arches: string[];
  recipes: PlanRecipe[];
  /** Recipes that could not be read: they build nothing, and neither does anything that depends on them. */
  invalid: PlanError[];
  published: PublishedSource[];
}

export interface PlanOutput {
  builds: PlannedBuild[];
  unchanged: Array<{ source: string; version: string }>;
  deleted: string[];
  errors: PlanError[];
}

function scopeFor(format: PackageFormat, recipe: PlanRecipe, arch: string, firstArch: string): BinaryScope | undefined {
  const anyHere = recipe.binaries.some((b) => !isArchIndependent(format, b.architectures) && format.buildsOn(b.architectures, arch));
  // Arch-independent packages (Debian's `all`, pacman's `any`) build once, on the first configured arch.
  const allHere = arch === firstArch && recipe.binaries.some((b) => isArchIndependent(format, b.architectures));
  if (anyHere && allHere) return 'both';
  if (anyHere) return 'any';
  if (allHere) return 'all';
  return undefined;
}

export function planBuilds(input: PlanInput): PlanOutput {
  const format = input.format ?? debFormat;
  const [firstArch] = input.arches;
  const errors = new Map<string, PlanError>(); // by source (or dir when the source is unknown)
  const addError = (e: PlanError) => { const k = e.source ?? e.dir; if (!errors.has(k)) errors.set(k, e); };
  for (const e of input.invalid) addError(e);

  // The same source name in two directories is ambiguous: refuse both.
  const bySource = new Map<string, PlanRecipe[]>();
  for (const r of input.recipes) bySource.set(r.source, [...(bySource.get(r.source) ?? []), r]);
  for (const [source, rs] of bySource) {
    if (rs.length > 1) {
      addError({ dir: rs.map((r) => r.dir).sort().join(', '), source, code: 'RECIPE_INVALID', message: `source ${source} is defined in ${rs.length} directories: ${rs.map((r) => r.dir).sort().join(', ')}` });
    }
  }

  // A binary package name belongs to one source: two sources of the tree declaring it would each publish it (a
  // source could take over a libc6 it does not own). Only declared package names count (Debian's Package, pacman's
  // pkgname), never virtual names (Provides, provides): refuse every source that shares one with another source.
  // The published repository is not consulted: a source that left the tree no longer owns its names.
  const declaredBy = new Map<string, PlanRecipe[]>();
  for (const r of input.recipes) {
    for (const name of new Set(r.binaries.map((b) => b.name))) declaredBy.set(name, [...(declaredBy.get(name) ?? []), r]);
  }
  const shared = new Map<PlanRecipe, string[]>();
  for (const [name, rs] of [...declaredBy].sort(([a], [b]) => a.localeCompare(b))) {
    if (new Set(rs.map((r) => r.source)).size < 2) continue;
    for (const r of rs) {
      const others = [...new Set(rs.filter((o) => o.source !== r.source).map((o) => `${o.source} (${o.dir})`))].sort();
      shared.set(r, [...(shared.get(r) ?? []), `${name} (also declared by ${others.join(', ')})`]);
    }
  }
  for (const [r, names] of shared) {
    addError({ dir: r.dir, source: r.source, code: 'BINARY_DECLARED_TWICE', message: `${r.source} declares binary package${names.length > 1 ? 's' : ''} ${names.join('; ')}: a binary package belongs to one source; rename it or remove it from all but one` });
  }

  const published = new Map(input.published.map((p) => [p.source, p]));
  const unchanged: PlanOutput['unchanged'] = [];
  const candidates = new Map<string, { recipe: PlanRecipe; arches: Map<string, BinaryScope> }>();
  for (const recipe of input.recipes) {
    if (errors.has(recipe.source)) continue;
    const pub = published.get(recipe.source);
    if (pub && pub.version === recipe.version && pub.treeHash !== recipe.treeHash) {
      addError({ dir: recipe.dir, source: recipe.source, code: 'RECIPE_VERSION_UNCHANGED', message: `${recipe.source} changed but its version is still ${recipe.version}: raise the version (${format.versionHint})` });
      continue;
    }
    const arches = new Map<string, BinaryScope>();
    for (const arch of input.arches) {
      const scope = scopeFor(format, recipe, arch, firstArch);
      if (!scope) continue;
      if (pub && pub.version === recipe.version && pub.arches.includes(arch)) continue;
      arches.set(arch, scope);
    }
    if (arches.size === 0) unchanged.push({ source: recipe.source, version: recipe.version });
    else candidates.set(recipe.source, { recipe, arches });
  }

  // Which source (and which of its builds) provides each binary package name. A name two sources declare refused
  // both above (BINARY_DECLARED_TWICE): whichever is kept here, a dependent of it is refused too.
  const provider = new Map<string, { source: string; all: boolean }>();
  for (const r of input.recipes) {
    for (const b of r.binaries) provider.set(b.name, { source: r.source, all: isArchIndependent(format, b.architectures) });
  }
  const failedSources = () => new Set([...errors.values()].map((e) => e.source).filter((s): s is string => !!s));

  // Edges between planned builds; a dependency on a refused source refuses the dependent (transitively, below).
  const deps = new Map<string, Set<string>>();
  const dependsOnFailed = new Map<string, string>();
  const refused = failedSources();
  for (const [source, { recipe, arches }] of candidates) {
    for (const arch of arches.keys()) {
      const id = `${source}/${arch}`;
      const set = new Set<string>();
      for (const name of buildDependsOn(recipe, arch)) {
        const p = provider.get(name);
        if (!p || p.source === source) continue;
        if (refused.has(p.source)) { dependsOnFailed.set(source, p.source); continue; }
        const target = candidates.get(p.source);
        if (!target) continue; // already published: installable from the repository
        const depArch = p.all ? firstArch : arch;
        if (target.arches.has(depArch)) set.add(`${p.source}/${depArch}`);
      }
      deps.set(id, set);
    }
  }

  for (const cycle of cycles(deps)) {
    const sources = [...new Set(cycle.map((id) => id.split('/')[0]))].sort();
    for (const s of sources) {
      addError({ dir: candidates.get(s)!.recipe.dir, source: s, code: 'DEPENDENCY_CYCLE', message: `build dependency cycle: ${sources.join(' → ')} → ${sources[0]}` });
    }
  }
  // Propagate refusals to dependents until nothing changes.
  for (const [source, failed] of dependsOnFailed) {
    addError({ dir: candidates.get(source)!.recipe.dir, source, code: 'DEPENDENCY_FAILED', message: `${source} build-depends on ${failed}, which cannot be built` });
  }
  for (let changed = true; changed;) {
    changed = false;
    const failed = failedSources();
    for (const [id, set] of deps) {
      const source = id.split('/')[0];
      if (failed.has(source)) continue;
      const bad = [...set].map((d) => d.split('/')[0]).find((s) => failed.has(s));
      if (bad) {
        addError({ dir: candidates.get(source)!.recipe.dir, source, code: 'DEPENDENCY_FAILED', message: `${source} build-depends on ${bad}, which cannot be built` });
        changed = true;
      }
    }
  }

  const failed = failedSources();
  const builds: PlannedBuild[] = [];
  for (const [source, { recipe, arches }] of candidates) {
    if (failed.has(source)) continue;
    // The source package is made once, by the build on the first arch the recipe builds on (when that arch is
    // already published at this version, the snapshot keeps its source files).
    const sourceArch = format.sourcePackages ? input.arches.find((a) => scopeFor(format, recipe, a, firstArch)) : undefined;
    for (const [arch, scope] of arches) {
      const id = `${source}/${arch}`;
      builds.push({
        id, source, version: recipe.version, arch, scope, treeHash: recipe.treeHash, deps: [...deps.get(id)!].sort(),
        binaries: recipe.binaries.map((b) => ({ name: b.name, all: isArchIndependent(format, b.architectures) })),
        ...(arch === sourceArch ? { withSource: true } : {}),
      });
    }
  }
  const inTree = new Set([...input.recipes.map((r) => r.source), ...input.invalid.map((e) => e.source).filter(Boolean)]);
  return {
    builds: builds.sort((a, b) => a.id.localeCompare(b.id)),
    unchanged: unchanged.sort((a, b) => a.source.localeCompare(b.source)),
    deleted: input.published.map((p) => p.source).filter((s) => !inTree.has(s)).sort(),
    errors: [...errors.values()].sort((a, b) => (a.source ?? a.dir).localeCompare(b.source ?? b.dir)),
  };
}

/** Strongly connected components with more than one node, or a self-loop (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const result: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) result.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return result;
}
