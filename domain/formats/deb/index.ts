// Debian source packages: deb822, debian/control, debian/changelog, version ordering, and the recipe built from them.
export { parseDeb822, fieldOf, lineAt } from './deb822';
export type { Deb822Field, Deb822Paragraph } from './deb822';
export { parseControl } from './control';
export type { DebControl, DebBinary } from './control';
export { parseRelations, relationAppliesTo } from './relations';
export type { Relation, RelationSource, VersionConstraint } from './relations';
export { parseChangelog } from './changelog';
export type { DebChangelogEntry } from './changelog';
export { parseVersion, formatVersion, compareVersions, satisfies, isRelationOperator, RELATION_OPERATORS } from './version';
export type { DebianVersion, RelationOperator } from './version';
export { isValidPackageName, isValidArchitectureName } from './names';
export { parseDebRecipe } from './recipe';
export type { DebRecipe, DebRecipeInput, DebRecipeResult } from './recipe';
