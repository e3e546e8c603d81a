// Git's own rules for names Kiln passes to git, checked at load time so a typo fails at start, not at the first push.

/**
 * Why `name` is not a valid branch name (the rules of `git check-ref-format --branch`), or undefined when it is.
 * A bare name, not `refs/heads/...`: that is what the webhook's ref is compared against after stripping the prefix.
 */
export function branchNameProblem(name: string): string | undefined {
  if (name.startsWith('refs/')) return 'must be a branch name without the refs/heads/ prefix';
  if (name === '@') return 'must not be "@"';
  if (name.startsWith('-')) return 'must not start with "-"';
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'must not contain spaces, control characters or any of ~ ^ : ? * [ \\';
  if (name.includes('..')) return 'must not contain ".."';
  if (name.includes('@{')) return 'must not contain "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'must not start or end with "/" or contain "//"';
  if (name.endsWith('.')) return 'must not end with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return 'no "/"-separated part may start with "."';
    if (part.endsWith('.lock')) return 'no "/"-separated part may end with ".lock"';
  }
  return undefined;
}

export type GitUrlKind = 'remote' | 'local-path';

const REMOTE_SCHEMES = ['https', 'http', 'ssh', 'git', 'file'];
/** scp-like syntax, `user@host:path` (git's own rule: a colon before any slash). */
const SCP_LIKE = /^[^@/\s]+@[^:/\s]+:\S+$/;

/** How Kiln uses a tree `url`: remote URLs are passed to git as written, anything else is a local path. */
export function classifyGitUrl(url: string): { kind: GitUrlKind } | { problem: string } {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (scheme) {
    const name = scheme[1].toLowerCase();
    if (!REMOTE_SCHEMES.includes(name)) {
      return { problem: `has an unsupported scheme "${name}://" (use ${REMOTE_SCHEMES.map((s) => `${s}://`).join(', ')}, user@host:path or a local path)` };
    }
    try {
      new URL(url);
    } catch {
      return { problem: 'is not a valid URL' };
    }
    return { kind: 'remote' };
  }
  if (SCP_LIKE.test(url)) return { kind: 'remote' };
  return { kind: 'local-path' };
}
