import { COMPONENT } from '../publish/apt-index';

// What the signer accepts to sign: a Release file as `releaseFile()` (domain/publish/apt-index.ts) writes it, for the
// tree, branch, suite, snapshot and commit the request names. Anything else is refused before a key is touched: a
// compromised orchestrator can then get signatures only on Release files Kiln itself would have written.

export const MAX_RELEASE_BYTES = 4 * 1024 * 1024;

/** The structured part of a sign request: what the Release must say, and what the trusted comment is made of. */
export interface ReleaseIdentity {
  tree: string;
  branch: string;
  suite: string;
  snapshot: number;
  commit: string;
}

/** A Release that failed a check, with the reason for the audit log and the caller. */
export class ReleaseRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReleaseRejected';
  }
}

export interface ReleaseHashEntry {
  hash: string;
  size: number;
  path: string;
}

export interface ParsedRelease {
  fields: ReadonlyMap<string, string>;
  /** SHA256 (and MD5Sum, when present) lists. */
  sha256: readonly ReleaseHashEntry[];
  md5?: readonly ReleaseHashEntry[];
}

/** Single-line fields, and whether a Release must have them. Only these and the hash lists are accepted. */
const LINE_FIELDS: Record<string, boolean> = {
  'Origin': true,
  'Label': true,
  'Suite': true,
  'Codename': true,
  'Date': true,
  'Architectures': true,
  'Components': false,
  'Description': false,
  'Acquire-By-Hash': false,
};
const HASH_FIELDS: Record<string, RegExp> = { 'SHA256': /^[0-9a-f]{64}$/, 'MD5Sum': /^[0-9a-f]{32}$/ };

/** What `releaseDate()` writes: RFC 2822 in UTC. */
const DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} UTC$/;
/** Debian's names and pacman's (`x86_64`). */
const ARCH = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** One segment of an index path: no `.`/`..`, no leading dot or dash, nothing a shell or URL would read specially. */
const PATH_SEGMENT = /^[A-Za-z0-9_+][A-Za-z0-9._+-]{0,127}$/;
const MAX_PATH = 512;
/** Git object names: SHA-1 or SHA-256, lower case, as the push carries them. */
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** An index path relative to `dists/<suite>/`: relative, `/`-separated, no empty, `.` or `..` segment. */
export function isSafeIndexPath(p: string): boolean {
  if (p.length === 0 || p.length > MAX_PATH) return false;
  return p.split('/').every((segment) => PATH_SEGMENT.test(segment) && !/^\.+$/.test(segment));
}

/** Parse a Release as one deb822 paragraph; throws ReleaseRejected on anything Kiln would not have written. */
export function parseRelease(text: string): ParsedRelease {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes === 0 || bytes > MAX_RELEASE_BYTES) throw new ReleaseRejected(`a Release is 1 byte to ${MAX_RELEASE_BYTES} bytes, this one has ${bytes}`);
  if (!text.endsWith('\n')) throw new ReleaseRejected('a Release ends with a newline');
  // Printable text and newlines only: no CR, tab, NUL, escape sequences or Unicode tricks in what apt and people read.
  const bad = /[^\x20-\x7e\n]/.exec(text);
  if (bad) throw new ReleaseRejected(`a Release holds printable ASCII and newlines only, this one has U+${bad[0].codePointAt(0)!.toString(16).padStart(4, '0')} at offset ${bad.index}`);
  const lines = text.slice(0, -1).split('\n');
  const fields = new Map<string, string>();
  const lists = new Map<string, ReleaseHashEntry[]>();
  let list: { name: string; entries: ReleaseHashEntry[]; paths: Set<string> } | undefined;
  lines.forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line.startsWith(' ')) {
      if (!list) throw new ReleaseRejected(`${where}: a continuation line outside a hash list`);
      const m = /^ (\S+) +(\d{1,15}) (\S+)$/.exec(line);
      if (!m) throw new ReleaseRejected(`${where}: a ${list.name} line is " <hash> <size> <path>"`);
      const [, hash, size, p] = m;
      if (!HASH_FIELDS[list.name].test(hash)) throw new ReleaseRejected(`${where}: "${hash}" is not a ${list.name} hash (lower-case hex)`);
      if (!isSafeIndexPath(p)) throw new ReleaseRejected(`${where}: "${p}" is not a safe relative index path`);
      if (list.paths.has(p)) throw new ReleaseRejected(`${where}: ${p} is listed twice in ${list.name}`);
      list.paths.add(p);
      list.entries.push({ hash, size: Number(size), path: p });
      return;
    }
    list = undefined;
    const m = /^([A-Za-z][A-Za-z0-9-]*):(.*)$/.exec(line);
    if (!m) throw new ReleaseRejected(line === '' ? `${where}: a Release is one paragraph, without blank lines` : `${where}: not a "Field: value" line`);
    const [, name, rest] = m;
    if (fields.has(name) || lists.has(name)) throw new ReleaseRejected(`${where}: the field ${name} appears twice`);
    if (name in HASH_FIELDS) {
      if (rest !== '') throw new ReleaseRejected(`${where}: ${name} has its entries on the lines after it, nothing on its own line`);
      const entries: ReleaseHashEntry[] = [];
      lists.set(name, entries);
      list = { name, entries, paths: new Set() };
      return;
    }
    if (!Object.prototype.hasOwnProperty.call(LINE_FIELDS, name)) throw new ReleaseRejected(`${where}: ${name} is not a field Kiln writes in a Release`);
    if (!/^ \S/.test(rest) || /\s$/.test(rest)) throw new ReleaseRejected(`${where}: ${name} needs a value after ": ", without trailing spaces`);
    fields.set(name, rest.slice(1));
  });
  for (const [name, required] of Object.entries(LINE_FIELDS)) {
    if (required && !fields.has(name)) throw new ReleaseRejected(`the Release has no ${name} field`);
  }
  const sha256 = lists.get('SHA256');
  if (!sha256 || sha256.length === 0) throw new ReleaseRejected('the Release lists no index in SHA256');
  const md5 = lists.get('MD5Sum');
  if (md5 && md5.length === 0) throw new ReleaseRejected('the Release has an empty MD5Sum list');
  return { fields, sha256, md5 };
}

/** The Description `releaseFile()` writes: it names the snapshot number and commit, so the text agrees with the request. */
export function releaseDescription(id: Pick<ReleaseIdentity, 'tree' | 'branch' | 'snapshot' | 'commit'>): string {
  return `Kiln ${id.tree}/${id.branch} snapshot ${id.snapshot} (commit ${id.commit})`;
}

/**
 * Check a parsed Release against the request's identity and the tree's configured architectures. The identity itself
 * (tree, branch, suite configured) is the caller's to check against the configuration.
 */
export function checkReleaseAgrees(release: ParsedRelease, id: ReleaseIdentity, architectures: readonly string[], layout: 'apt' | 'pacman' = 'apt'): void {
  const f = release.fields;
  const expect = (name: string, value: string) => {
    if (f.get(name) !== value) throw new ReleaseRejected(`the Release's ${name} is "${f.get(name) ?? ''}", the request's is "${value}"`);
  };
  if (!COMMIT.test(id.commit)) throw new ReleaseRejected(`"${id.commit}" is not a git commit id (40 or 64 lower-case hex digits)`);
  expect('Origin', 'Kiln');
  expect('Label', id.tree);
  expect('Suite', id.suite);
  expect('Codename', id.suite);
  // Required: the only place the Release text itself names its snapshot number.
  expect('Description', releaseDescription(id));
  if (!DATE.test(f.get('Date')!) || Number.isNaN(Date.parse(f.get('Date')!.replace(/UTC$/, 'GMT')))) {
    throw new ReleaseRejected(`the Release's Date "${f.get('Date')}" is not an RFC 2822 time in UTC`);
  }
  const arches = f.get('Architectures')!.split(' ');
  for (const arch of arches) {
    if (!ARCH.test(arch)) throw new ReleaseRejected(`the Release's Architectures has "${arch}", not an architecture name`);
    if (!architectures.includes(arch)) throw new ReleaseRejected(`the Release's Architectures has ${arch}, which tree ${id.tree} does not build (${architectures.join(', ')})`);
  }
  if (new Set(arches).size !== arches.length) throw new ReleaseRejected('the Release\'s Architectures names one twice');
  if (f.has('Components')) expect('Components', COMPONENT);
  if (f.has('Acquire-By-Hash') && !['yes', 'no'].includes(f.get('Acquire-By-Hash')!)) {
    throw new ReleaseRejected(`the Release's Acquire-By-Hash is "${f.get('Acquire-By-Hash')}", not yes or no`);
  }
  for (const entry of [...release.sha256, ...(release.md5 ?? [])]) {
    if (layout === 'pacman') {
      // A pacman snapshot's Release lists its databases only: <arch>/<tree>.db and <arch>/<tree>.files.
      const [arch, name, ...rest] = entry.path.split('/');
      if (rest.length > 0 || !architectures.includes(arch) || (name !== `${id.tree}.db` && name !== `${id.tree}.files`)) {
        throw new ReleaseRejected(`the Release lists ${entry.path}, not a database <arch>/${id.tree}.db or .files of an architecture tree ${id.tree} builds`);
      }
    } else if (!entry.path.startsWith(`${COMPONENT}/`)) {
      throw new ReleaseRejected(`the Release lists ${entry.path}, outside the component ${COMPONENT}/`);
    }
  }
}
