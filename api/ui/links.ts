import type { PushRef } from '../../domain/data-layout';

// The web UI's own URLs, built in one place. A branch may contain '/': in a URL it is one percent-encoded segment.

const seg = encodeURIComponent;

export const uiLinks = {
  dashboard: () => '/',
  pushes: (query: Record<string, string | undefined> = {}) => withQuery('/pushes', query),
  push: (push: PushRef) => `/pushes/${seg(push.tree)}/${seg(push.branch)}/${push.commit}`,
  pushAction: (push: PushRef, action: 'retry' | 'cancel') => `${uiLinks.push(push)}/${action}`,
  buildLog: (push: PushRef, source: string, arch: string) => `${uiLinks.push(push)}/logs/${seg(source)}/${seg(arch)}`,
  pushEvents: (push: PushRef) => `/ui/events/pushes/${seg(push.tree)}/${seg(push.branch)}/${push.commit}`,
  repository: (tree: string, branch: string, query: Record<string, string | undefined> = {}) =>
    withQuery(`/repositories/${seg(tree)}/${seg(branch)}`, query),
  rollback: (tree: string, branch: string) => `/repositories/${seg(tree)}/${seg(branch)}/rollback`,
  badge: (tree: string, branch: string) => `/badge/${seg(tree)}/${seg(branch)}.svg`,
  events: (query: Record<string, string | undefined> = {}) => withQuery('/events', query),
  login: (next?: string) => withQuery('/login', { next }),
  logout: () => '/logout',
};

export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

/** A `next` target after signing in: a path of this site only (no scheme, no `//host`, no backslash). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\\\s]*$/.test(next) ? next : '/';
}
