// Relationship fields (Debian Policy 7.1): `a (>= 1.0) [amd64 !i386] <!nocheck>, b | c:any`. A comma separates
// dependencies that must all hold; `|` separates alternatives of which one suffices.
import { KilnError } from '../../errors';
import { isValidArchitectureName, isValidPackageName } from './names';
import { isRelationOperator, parseVersion, type RelationOperator } from './version';

export interface VersionConstraint {
  op: RelationOperator;
  version: string;
}

export interface Relation {
  name: string;
  /** Multi-arch qualifier after the name: `any`, `native`, or an architecture. */
  archQualifier?: string;
  version?: VersionConstraint;
  /** The `[...]` list as written, e.g. ['amd64', '!i386']: the relation only applies on matching architectures. */
  architectures?: string[];
  /** Build profile formulas, e.g. `<!nocheck> <stage1 !cross>` → [['!nocheck'], ['stage1', '!cross']]: any one suffices. */
  profiles?: string[][];
}

/** Where a relation field came from, so errors can name the line. */
export interface RelationSource {
  field: string;
  /** The source line of a character offset in the value. */
  lineAt: (offset: number) => number;
}

// Order fixed by dpkg (Dpkg::Deps): name, qualifier, version, architectures, build profiles.
const RELATION = /^([^\s:([<]+)(?::([^\s([<]+))?\s*(?:\(\s*([<>=]+)\s*([^\s)]*)\s*\))?\s*(?:\[([^\]]*)\])?\s*((?:<[^>]*>\s*)*)$/;

function invalid(source: RelationSource, offset: number, message: string): KilnError {
  const line = source.lineAt(offset);
  return new KilnError('RECIPE_INVALID', `line ${line}: ${source.field}: ${message}`, { line, field: source.field });
}

function parseRelation(text: string, offset: number, source: RelationSource): Relation {
  const m = RELATION.exec(text);
  if (!m) throw invalid(source, offset, `cannot parse relation "${text}"`);
  const [, name, qualifier, op, version, arches, profiles] = m;
  if (!isValidPackageName(name)) {
    throw invalid(source, offset, `invalid package name "${name}" (lowercase letters, digits, "+", "-", "." only; at least two characters)`);
  }
  const relation: Relation = { name };
  if (qualifier !== undefined) {
    if (!isValidArchitectureName(qualifier)) throw invalid(source, offset, `invalid architecture qualifier "${qualifier}" in "${text}"`);
    relation.archQualifier = qualifier;
  }
  if (op !== undefined) {
    // `<` and `>` are the obsolete spellings Policy forbids; say which operator was probably meant.
    if (op === '<' || op === '>') throw invalid(source, offset, `obsolete operator "${op}" in "${text}": use "${op}${op}" or "${op}="`);
    if (!isRelationOperator(op)) throw invalid(source, offset, `unknown operator "${op}" in "${text}"`);
    if (version === '') throw invalid(source, offset, `missing version after "${op}" in "${text}"`);
    try {
      parseVersion(version);
    } catch (e) {
      if (e instanceof KilnError) throw invalid(source, offset, `${e.message} in "${text}"`);
      throw e;
    }
    relation.version = { op, version };
  }
  if (arches !== undefined) {
    const list = arches.trim().split(/\s+/).filter((a) => a !== '');
    if (list.length === 0) throw invalid(source, offset, `empty architecture list in "${text}"`);
    const negated = list.filter((a) => a.startsWith('!')).length;
    if (negated !== 0 && negated !== list.length) throw invalid(source, offset, `architecture list mixes negated and plain names in "${text}"`);
    for (const a of list) {
      if (!isValidArchitectureName(a.replace(/^!/, ''))) throw invalid(source, offset, `invalid architecture "${a}" in "${text}"`);
    }
    relation.architectures = list;
  }
  const formulas = [...(profiles ?? '').matchAll(/<([^>]*)>/g)].map((f) => f[1].trim().split(/\s+/).filter((t) => t !== ''));
  if (formulas.some((f) => f.length === 0)) throw invalid(source, offset, `empty build profile list in "${text}"`);
  if (formulas.length > 0) relation.profiles = formulas;
  return relation;
}

/**
 * Parses a relation field into an AND of OR-alternatives. Empty entries between commas (a trailing comma, as
 * `wrap-and-sort -t` writes) are skipped; an empty alternative around `|` is an error.
 */
export function parseRelations(value: string, source: RelationSource): Relation[][] {
  const groups: Relation[][] = [];
  let groupStart = 0;
  for (const group of value.split(',')) {
    if (group.trim() !== '') {
      const alternatives: Relation[] = [];
      let altStart = groupStart;
      for (const alternative of group.split('|')) {
        const lead = alternative.length - alternative.trimStart().length;
        const text = alternative.trim();
        if (text === '') throw invalid(source, altStart + lead, `empty alternative in "${group.trim()}"`);
        alternatives.push(parseRelation(text.replace(/\s+/g, ' '), altStart + lead, source));
        altStart += alternative.length + 1;
      }
      groups.push(alternatives);
    }
    groupStart += group.length + 1;
  }
  return groups;
}

/** Architecture wildcards as dpkg understands them for Linux hosts: `any`, `linux-any`, `any-<cpu>`, `linux-<cpu>`. */
export function architectureMatches(pattern: string, arch: string): boolean {
  return pattern === arch || pattern === 'any' || pattern === 'linux-any' || pattern === `any-${arch}` || pattern === `linux-${arch}`;
}

/**
 * Does a relation apply when building on `arch` with these build profiles active (Kiln builds with none)? Its
 * `[...]` list must admit the architecture, and one of its `<...>` formulas (if any) must hold: every term in it
 * active, or negated and inactive.
 */
export function relationAppliesTo(relation: Relation, arch: string, activeProfiles: readonly string[] = []): boolean {
  const holds = (term: string) => (term.startsWith('!') ? !activeProfiles.includes(term.slice(1)) : activeProfiles.includes(term));
  if (relation.profiles && !relation.profiles.some((formula) => formula.every(holds))) return false;
  const list = relation.architectures;
  if (!list || list.length === 0) return true;
  if (list[0].startsWith('!')) return !list.some((a) => architectureMatches(a.slice(1), arch));
  return list.some((a) => architectureMatches(a, arch));
}
