// debian/control: the source paragraph (name, maintainer, build dependencies) followed by one paragraph per binary
// package (Debian Policy 5.2, 5.3). Only what Kiln plans with is kept.
import { KilnError } from '../../errors';
import { fieldOf, lineAt, parseDeb822, type Deb822Field, type Deb822Paragraph } from './deb822';
import { isValidArchitectureName, isValidPackageName } from './names';
import { parseRelations, type Relation } from './relations';

export interface DebBinary {
  name: string;
  /** The Architecture field's words: ['any'], ['all'], ['amd64', 'i386'], ['linux-any'], ... */
  architecture: string[];
  /** The Depends field as written (one line), substitution variables included. */
  depends?: string;
}

export interface DebControl {
  source: string;
  maintainer?: string;
  /** Build-Depends, Build-Depends-Arch and Build-Depends-Indep together: an AND of OR-alternatives. */
  buildDepends: Relation[][];
  binaries: DebBinary[];
}

// All three are needed for a `-b` build; Kiln installs the union before building.
const BUILD_DEPENDS_FIELDS = ['Build-Depends', 'Build-Depends-Arch', 'Build-Depends-Indep'];

function invalid(line: number, message: string): KilnError {
  return new KilnError('RECIPE_INVALID', `line ${line}: ${message}`, { line });
}

/** A single-line field's value; continuation lines fold into spaces. */
function simpleValue(field: Deb822Field): string {
  return field.value.replace(/\s+/g, ' ').trim();
}

function parseSource(paragraph: Deb822Paragraph): Pick<DebControl, 'source' | 'maintainer' | 'buildDepends'> {
  const sourceField = fieldOf(paragraph, 'Source');
  if (!sourceField) {
    throw invalid(paragraph.line, 'the first paragraph has no Source field (debian/control starts with the source package)');
  }
  const source = simpleValue(sourceField);
  if (!isValidPackageName(source)) {
    throw invalid(sourceField.lines[0], `invalid source package name "${source}" (lowercase letters, digits, "+", "-", "." only; at least two characters)`);
  }
  const maintainerField = fieldOf(paragraph, 'Maintainer');
  const maintainer = maintainerField ? simpleValue(maintainerField) : undefined;

  const buildDepends: Relation[][] = [];
  for (const name of BUILD_DEPENDS_FIELDS) {
    const field = fieldOf(paragraph, name);
    if (!field) continue;
    buildDepends.push(...parseRelations(field.value, { field: field.name, lineAt: (offset) => lineAt(field, offset) }));
  }
  return { source, ...(maintainer ? { maintainer } : {}), buildDepends };
}

function parseBinary(paragraph: Deb822Paragraph): DebBinary {
  const packageField = fieldOf(paragraph, 'Package');
  if (!packageField) {
    const hint = fieldOf(paragraph, 'Source') ? ' (a second Source paragraph?)' : '';
    throw invalid(paragraph.line, `binary package paragraph has no Package field${hint}`);
  }
  const name = simpleValue(packageField);
  if (!isValidPackageName(name)) {
    throw invalid(packageField.lines[0], `invalid binary package name "${name}" (lowercase letters, digits, "+", "-", "." only; at least two characters)`);
  }
  const archField = fieldOf(paragraph, 'Architecture');
  if (!archField) throw invalid(paragraph.line, `binary package ${name} has no Architecture field`);
  const architecture = simpleValue(archField).split(' ').filter((a) => a !== '');
  if (architecture.length === 0) throw invalid(archField.lines[0], `binary package ${name} has an empty Architecture field`);
  for (const arch of architecture) {
    if (!isValidArchitectureName(arch)) throw invalid(archField.lines[0], `binary package ${name}: invalid architecture "${arch}"`);
  }
  // dpkg-source refuses `all` mixed with anything else: a package is either arch-independent or not.
  if (architecture.includes('all') && architecture.length > 1) {
    throw invalid(archField.lines[0], `binary package ${name}: "all" cannot be combined with other architectures`);
  }
  const dependsField = fieldOf(paragraph, 'Depends');
  const depends = dependsField ? simpleValue(dependsField) : '';
  return { name, architecture, ...(depends !== '' ? { depends } : {}) };
}

/** Parses debian/control; throws a RECIPE_INVALID KilnError (with the line) on anything dpkg-source would refuse. */
export function parseControl(text: string): DebControl {
  const paragraphs = parseDeb822(text);
  if (paragraphs.length === 0) throw new KilnError('RECIPE_INVALID', 'debian/control is empty');
  const [sourceParagraph, ...binaryParagraphs] = paragraphs;
  const sourcePart = parseSource(sourceParagraph);
  if (binaryParagraphs.length === 0) {
    throw invalid(sourceParagraph.line, `source ${sourcePart.source} declares no binary package (no Package paragraph)`);
  }
  const binaries: DebBinary[] = [];
  const seen = new Map<string, number>();
  for (const paragraph of binaryParagraphs) {
    const binary = parseBinary(paragraph);
    const first = seen.get(binary.name);
    if (first !== undefined) throw invalid(paragraph.line, `binary package ${binary.name} is declared twice (first at line ${first})`);
    seen.set(binary.name, paragraph.line);
    binaries.push(binary);
  }
  return { ...sourcePart, binaries };
}
