// debian/changelog: only the first (newest) entry matters to Kiln, as it does to dpkg-buildpackage: its header
// `name (version) distribution(s); urgency=...` gives the version being built (Debian Policy 4.4).
import { KilnError } from '../../errors';
import { isValidPackageName } from './names';
import { parseVersion } from './version';

export interface DebChangelogEntry {
  source: string;
  version: string;
  /** The distribution(s) as written, e.g. 'bookworm' or 'unstable experimental'. */
  distribution: string;
  /** The urgency keyword, when the header names one. */
  urgency?: string;
}

// Dpkg::Changelog::Entry::Debian's header regex, with the keyword list after `;` kept loose.
const HEADER = /^(\S+) \(([^() \t]+)\)((?:\s+[-+0-9a-z.]+)+);(.*)$/i;

function invalid(line: number, message: string): KilnError {
  return new KilnError('RECIPE_INVALID', `line ${line}: ${message}`, { line });
}

/** Parses the first entry's header; throws a RECIPE_INVALID KilnError naming the line when it is malformed. */
export function parseChangelog(text: string): DebChangelogEntry {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const index = lines.findIndex((l) => l.trim() !== '');
  if (index < 0) throw new KilnError('RECIPE_INVALID', 'debian/changelog is empty');
  const lineNo = index + 1;
  const header = lines[index].trimEnd();
  const m = HEADER.exec(header);
  if (!m) {
    throw invalid(lineNo, `expected a changelog header like "name (1.0) bookworm; urgency=medium", got "${header}"`);
  }
  const [, source, version, distributions, keywords] = m;
  if (!isValidPackageName(source)) throw invalid(lineNo, `invalid source package name "${source}"`);
  try {
    parseVersion(version);
  } catch (e) {
    if (e instanceof KilnError) throw invalid(lineNo, e.message);
    throw e;
  }
  const urgency = /(?:^|[\s,])urgency=([^\s,]+)/i.exec(keywords)?.[1];
  return { source, version, distribution: distributions.trim().replace(/\s+/g, ' '), ...(urgency ? { urgency } : {}) };
}
