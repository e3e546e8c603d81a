import { quoteUntrusted, ResultRejected } from '../result-rejected';

// The source package a Debian build leaves beside its binaries (`dpkg-buildpackage -F/-G/-g` in the container): a
// .dsc and the files it lists. All of it is the build's, so untrusted: the .dsc must be an unsigned deb822
// paragraph of the planned source and version, list exactly the other source files handed back, with the sizes and
// digests the host computed itself; only known fields reach the Sources index, written by Kiln.

/** What the host measured of one handed-back file. */
export interface SourceFileFacts {
  name: string;
  size: number;
  sha256: string;
  md5: string;
}

export const MAX_DSC_BYTES = 256 * 1024;

/** A source file's name as dpkg-source makes it: `<source>_<version>.<ext>`, nothing a path or shell reads. */
const SOURCE_FILE_NAME = /^[a-z0-9][a-z0-9+.-]*_[A-Za-z0-9.+~-]+\.(dsc|tar\.(xz|gz|bz2)|diff\.gz)$/;
const FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/** Fields of a .dsc that go into Sources, in this order; everything else is dropped. */
const KEPT_FIELDS = [
  'Binary', 'Version', 'Maintainer', 'Uploaders', 'Build-Depends', 'Build-Depends-Arch', 'Build-Depends-Indep',
  'Build-Conflicts', 'Build-Conflicts-Arch', 'Build-Conflicts-Indep', 'Architecture', 'Standards-Version', 'Format',
  'Homepage', 'Vcs-Browser', 'Vcs-Git', 'Testsuite', 'Testsuite-Triggers', 'Package-List',
];

/** Is this a name a source package's files have (the result boundary's first check)? */
export function isSourceFileName(name: string): boolean {
  return SOURCE_FILE_NAME.test(name);
}

/** One field per name (lowercase), its value lines as written: the first after the colon, then continuation lines. */
function parseDsc(text: string): Map<string, { name: string; lines: string[] }> {
  if (Buffer.byteLength(text) > MAX_DSC_BYTES) throw new ResultRejected(`the .dsc is over ${MAX_DSC_BYTES} bytes`);
  if (text.startsWith('-----BEGIN PGP')) throw new ResultRejected('the .dsc is signed: Kiln builds sources unsigned (-us), and signs only the index');
  const lines = text.replace(/\n+$/, '').split('\n');
  const fields = new Map<string, { name: string; lines: string[] }>();
  let last: { name: string; lines: string[] } | undefined;
  for (const [i, line] of lines.entries()) {
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line)) throw new ResultRejected(`.dsc line ${i + 1} holds a control character`);
    if (line.trim() === '') throw new ResultRejected(`.dsc line ${i + 1} is empty: a .dsc is one paragraph`);
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!last) throw new ResultRejected(`.dsc line ${i + 1} is an orphaned continuation line`);
      last.lines.push(line.trim());
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!FIELD_NAME.test(name)) throw new ResultRejected(`.dsc line ${i + 1} is not a field: ${quoteUntrusted(line)}`);
    if (fields.has(name.toLowerCase())) throw new ResultRejected(`the .dsc repeats the field ${name}`);
    last = { name, lines: [line.slice(colon + 1).trim()] };
    fields.set(name.toLowerCase(), last);
  }
  return fields;
}

/** ` <digest> <size> <name>` lines of a checksum field, each name once. */
function checksumLines(field: { lines: string[] } | undefined, digest: RegExp, what: string): Map<string, { digest: string; size: number }> {
  const listed = new Map<string, { digest: string; size: number }>();
  for (const line of field?.lines.slice(1) ?? []) {
    const m = /^(\S+) (\d{1,15}) (\S+)$/.exec(line);
    if (!m || !digest.test(m[1])) throw new ResultRejected(`the .dsc's ${what} has a malformed line ${quoteUntrusted(line)}`);
    if (listed.has(m[3])) throw new ResultRejected(`the .dsc's ${what} lists ${m[3]} twice`);
    listed.set(m[3], { digest: m[1], size: Number(m[2]) });
  }
  return listed;
}

/**
 * Check a handed-back source package and make its Sources stanza (without `Directory`, which the index adds).
 * `files` are the other source files the build handed back (tarballs, diff), measured by the host.
 */
export function checkSourcePackage(
  dscText: string,
  dsc: SourceFileFacts,
  files: readonly SourceFileFacts[],
  expected: { source: string; version: string },
): { stanza: string } {
  const fields = parseDsc(dscText);
  const value = (name: string) => fields.get(name.toLowerCase())?.lines[0] ?? '';
  if (value('Source') !== expected.source) throw new ResultRejected(`the .dsc is of source ${quoteUntrusted(value('Source'))}, not ${expected.source}`);
  if (value('Version') !== expected.version) throw new ResultRejected(`the .dsc is of version ${quoteUntrusted(value('Version'))}, not the recipe's ${expected.version}`);
  const want = `${expected.source}_${expected.version.replace(/^\d+:/, '')}.dsc`;
  if (dsc.name !== want) throw new ResultRejected(`${dsc.name}: the .dsc of ${expected.source} ${expected.version} is named ${want}`);
  const sha256 = checksumLines(fields.get('checksums-sha256'), /^[0-9a-f]{64}$/, 'Checksums-Sha256');
  if (sha256.size === 0) throw new ResultRejected('the .dsc lists no files in Checksums-Sha256');
  const md5 = checksumLines(fields.get('files'), /^[0-9a-f]{32}$/, 'Files');
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const [name, listed] of sha256) {
    const file = byName.get(name);
    if (!file) throw new ResultRejected(`the .dsc lists ${quoteUntrusted(name)}, which the build did not hand back`);
    if (!name.startsWith(`${expected.source}_`)) throw new ResultRejected(`the .dsc lists ${quoteUntrusted(name)}, not a file of source ${expected.source}`);
    if (file.size !== listed.size || file.sha256 !== listed.digest) throw new ResultRejected(`${name} does not have the size and SHA-256 the .dsc lists`);
    const m = md5.get(name);
    if (m && (m.digest !== file.md5 || m.size !== file.size)) throw new ResultRejected(`${name} does not have the size and MD5 the .dsc lists`);
  }
  for (const name of md5.keys()) if (!sha256.has(name)) throw new ResultRejected(`the .dsc lists ${quoteUntrusted(name)} in Files only`);
  for (const f of files) if (!sha256.has(f.name)) throw new ResultRejected(`${f.name} is not listed by the .dsc`);

  const all = [dsc, ...[...sha256.keys()].sort().map((n) => byName.get(n)!)];
  const lines = [`Package: ${expected.source}`];
  for (const name of KEPT_FIELDS) {
    const field = fields.get(name.toLowerCase());
    if (!field) continue;
    const [first, ...rest] = field.lines;
    lines.push(`${name}:${first ? ` ${first}` : ''}`, ...rest.map((l) => ` ${l}`));
  }
  lines.push('Files:', ...all.map((f) => ` ${f.md5} ${f.size} ${f.name}`));
  lines.push('Checksums-Sha256:', ...all.map((f) => ` ${f.sha256} ${f.size} ${f.name}`));
  return { stanza: `${lines.join('\n')}\n` };
}
