// The result boundary for Debian builds, as pure rules: what a build may hand back and what of it may become a path
// or an index line. Everything here is checked against the grammar of the format AND against the recipe, because a
// build is hostile: its control fields, file names and architectures are only what it claims.
import type { DeclaredBinary } from '../../build';
import { quoteUntrusted, RESULT_FILE_NAME, ResultRejected } from '../result-rejected';
import { isSourceFileName } from './source-package';
import { parseVersion } from './version';

export { quoteUntrusted, RESULT_FILE_NAME, ResultRejected };

/** What dpkg-buildpackage makes, and all a Debian build may hand back. */
export function isDebResultName(name: string): boolean {
  return RESULT_FILE_NAME.test(name) && !/[@:]/.test(name) && (/\.(deb|buildinfo|changes)$/.test(name) || isSourceFileName(name));
}
/** Debian Policy 5.6.1 (package names) and 5.6.8 (architecture names). */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]{1,99}$/;
const ARCHITECTURE = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** A field name as apt reads it; `Filename`, sizes and digests are Kiln's to write, never the package's. */
const FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const RESERVED_FIELDS = new Set(['filename', 'size', 'md5sum', 'sha1', 'sha256', 'sha512']);
export const MAX_CONTROL_BYTES = 256 * 1024;

export interface ResultExpectation {
  arch: string;
  scope: 'any' | 'all' | 'both';
  /** From the recipe's debian/control, read by the plan; absent for builds planned before Kiln checked it. */
  binaries?: readonly DeclaredBinary[];
}

export interface BuiltControl {
  package: string;
  version: string;
  architecture: string;
  /** The control paragraph, normalised: one field per line group, no blank line, no reserved field. */
  text: string;
}

/**
 * Parse the control paragraph of a built .deb (`dpkg-deb --field` output) strictly: a blank line would start a new
 * index stanza, a `Filename:` would point apt elsewhere, a control character would end up in Packages.
 */
export function parseBuiltControl(control: string): BuiltControl {
  if (Buffer.byteLength(control) > MAX_CONTROL_BYTES) throw new ResultRejected(`its control data is over ${MAX_CONTROL_BYTES} bytes`);
  const lines = control.replace(/\n+$/, '').split('\n');
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const [i, line] of lines.entries()) {
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line)) throw new ResultRejected(`control line ${i + 1} holds a control character`);
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!last || line.trim() === '') throw new ResultRejected(`control line ${i + 1} is an empty or orphaned continuation line`);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!FIELD_NAME.test(name)) throw new ResultRejected(`control line ${i + 1} is not a field: ${quoteUntrusted(line)}`);
    const key = name.toLowerCase();
    if (RESERVED_FIELDS.has(key)) throw new ResultRejected(`its control data sets ${name}, which only the repository index may`);
    if (fields.has(key)) throw new ResultRejected(`its control data repeats the field ${name}`);
    fields.set(key, line.slice(colon + 1).trim());
    last = key;
  }
  const field = (name: string): string => {
    const value = fields.get(name.toLowerCase());
    if (!value) throw new ResultRejected(`its control data has no ${name} field`);
    return value;
  };
  const pkg = field('Package');
  const version = field('Version');
  const architecture = field('Architecture');
  if (!PACKAGE_NAME.test(pkg)) throw new ResultRejected(`Package ${quoteUntrusted(pkg)} is not a Debian package name`);
  if (!ARCHITECTURE.test(architecture)) throw new ResultRejected(`Architecture ${quoteUntrusted(architecture)} is not an architecture name`);
  try {
    parseVersion(version);
  } catch {
    throw new ResultRejected(`Version ${quoteUntrusted(version)} is not a Debian version`);
  }
  // No ':' in a version may reach a path; Debian's own file names drop the epoch.
  if (!/^[A-Za-z0-9.+~:-]+$/.test(version)) throw new ResultRejected(`Version ${quoteUntrusted(version)} is not a Debian version`);
  return { package: pkg, version, architecture, text: lines.join('\n') };
}

/** The file name dpkg-deb gives a package: `<package>_<version without epoch>_<arch>.deb`. */
export function canonicalDebName(control: Pick<BuiltControl, 'package' | 'version' | 'architecture'>): string {
  return `${control.package}_${control.version.replace(/^\d+:/, '')}_${control.architecture}.deb`;
}

/**
 * A built package must be one the recipe declares (or its automatic `-dbgsym`), of the version the plan built, for
 * the arch built (or `all` when the scope includes it), under its canonical file name.
 */
export function checkBuiltPackage(file: string, control: Pick<BuiltControl, 'package' | 'version' | 'architecture'>, expected: ResultExpectation & { version: string }): void {
  const want = canonicalDebName(control);
  if (file !== want) throw new ResultRejected(`${file}: its control data names ${want}`);
  if (control.version !== expected.version) {
    throw new ResultRejected(`${file}: version ${control.version} is not the recipe's ${expected.version}`);
  }
  const allowedArches = new Set<string>();
  if (expected.scope !== 'all') allowedArches.add(expected.arch);
  if (expected.scope !== 'any') allowedArches.add('all');
  if (!allowedArches.has(control.architecture)) {
    throw new ResultRejected(`${file}: Architecture ${control.architecture} is not what this build makes (${[...allowedArches].join(' or ')})`);
  }
  if (!expected.binaries) return;
  const base = control.package.endsWith('-dbgsym') ? control.package.slice(0, -'-dbgsym'.length) : undefined;
  const declared = expected.binaries.find((b) => b.name === control.package) ?? (base ? expected.binaries.find((b) => b.name === base) : undefined);
  if (!declared) {
    throw new ResultRejected(`${file}: package ${control.package} is not declared in the recipe's debian/control (it declares ${expected.binaries.map((b) => b.name).join(', ')})`);
  }
  // A dbgsym of an `all` package does not exist; of an arch package it is for the arch.
  if (declared.all !== (control.architecture === 'all')) {
    throw new ResultRejected(`${file}: package ${control.package} is declared Architecture: ${declared.all ? 'all' : 'arch-specific'} but built as ${control.architecture}`);
  }
}
