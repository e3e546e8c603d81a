import * as path from 'node:path';
import { KilnError } from '../errors';
import type { PublishTarget, TreeConfig } from './types';

// Publishing rules of the configuration as pure code: APT suite names, rsync destinations, and the helpers that
// answer "which suite, which targets" for a tree's branch.

/** APT's rule for a suite name (the `dists/<suite>` folder): letters, digits and `. + _ -`, not starting with `.`/`-`. */
export const SUITE_NAME_PATTERN = '^[A-Za-z0-9_+][A-Za-z0-9.+_-]{0,99}$';
const SUITE_NAME = new RegExp(SUITE_NAME_PATTERN);

export function isSuiteName(name: string): boolean {
  return SUITE_NAME.test(name);
}

/** The suite a branch publishes to unless `publish.suites` names one: the branch name with `/` replaced by `-`. */
export function defaultSuite(branch: string): string {
  return branch.replace(/\//g, '-');
}

export type RsyncDestination =
  | { kind: 'local'; path: string }
  | { kind: 'remote'; host: string; path: string };

/**
 * How rsync reads a destination: a colon before any slash makes it remote (`host:path`, `user@host:path`),
 * anything else is a local path. Daemon syntax (`host::module`, `rsync://`) is refused: it would need a password,
 * and Kiln passes none. An empty remote path is refused too: `host:` is the remote home folder, which the final
 * `--delete-after` pass would empty.
 */
export function classifyRsyncDestination(destination: string): RsyncDestination | { problem: string } {
  if (/^\s|\s$/.test(destination)) return { problem: 'must not start or end with whitespace' };
  if (destination.startsWith('-')) return { problem: 'must not start with "-"' };
  const daemon = { problem: 'rsync daemon destinations (rsync://, host::module) are not supported; use host:path over ssh or a local path' };
  if (/^rsync:\/\//i.test(destination)) return daemon;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(destination)) {
    return { problem: 'must be a local path, host:path or user@host:path, not a URL' };
  }
  // An IPv6 host is bracketed: its colons do not count.
  const bracket = /^([^@/]*@)?\[[^\]/]*\]/.exec(destination);
  const colon = destination.indexOf(':', bracket ? bracket[0].length : 0);
  const slash = destination.indexOf('/');
  if (colon === -1 || (slash !== -1 && slash < colon)) {
    if (path.isAbsolute(destination) && path.resolve(destination) === '/') return { problem: 'must not be the root folder: Kiln deletes from it what the repository no longer has' };
    return { kind: 'local', path: destination };
  }
  const host = destination.slice(0, colon);
  const remotePath = destination.slice(colon + 1);
  if (remotePath.startsWith(':')) return daemon;
  if (!/^([A-Za-z0-9._][A-Za-z0-9._-]*@)?([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])$/.test(host)) {
    return { problem: `has an invalid host "${host}" (expected host:path or user@host:path)` };
  }
  if (remotePath === '' || /^\/+$/.test(remotePath) || /^~\/*$/.test(remotePath)) {
    return { problem: 'must name a folder after "host:", not the remote root or home folder' };
  }
  if (/[\x00-\x1f\x7f]/.test(remotePath)) return { problem: 'must not contain control characters' };
  return { kind: 'remote', host, path: remotePath };
}

function knownBranch(tree: TreeConfig, branch: string): void {
  if (!tree.branches.includes(branch)) {
    throw new KilnError('BRANCH_UNKNOWN', `branch "${branch}" is not configured for tree ${tree.name} (configured: ${tree.branches.join(', ')})`);
  }
}

/** The APT suite `branch` of `tree` publishes to. BRANCH_UNKNOWN (404) for a branch the tree does not have. */
export function suiteOf(tree: TreeConfig, branch: string): string {
  knownBranch(tree, branch);
  // Own properties only: a branch may well be called "constructor".
  return Object.prototype.hasOwnProperty.call(tree.publish.suites, branch) ? tree.publish.suites[branch] : defaultSuite(branch);
}

/** The publish targets that receive `branch` of `tree`, in configuration order. BRANCH_UNKNOWN for a foreign branch. */
export function targetsOf(tree: TreeConfig, branch: string): readonly PublishTarget[] {
  knownBranch(tree, branch);
  return tree.publish.targets.filter((target) => target.branches.includes(branch));
}
