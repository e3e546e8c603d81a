import type { PushDetail } from '../api/data/push-view';
import type { ApiClient } from './api-client';

// What a decided push means, for people: published (exit 0), or why not, with every failure, its log and what to do.

/** The branch's repository has this push: built and published. */
export function pushPublished(push: PushDetail): boolean {
  return push.state === 'succeeded' && push.publish?.outcome === 'published';
}

/** A push that will not change without someone acting (failed: it waits for retry or cancel). */
export function pushDecided(push: PushDetail): boolean {
  return ['succeeded', 'failed', 'cancelled', 'superseded'].includes(push.state);
}

/** Plan errors, failed builds and install tests (with the log's absolute URL), blocked builds. */
export function failureReport(push: PushDetail, client: ApiClient): string[] {
  const lines: string[] = [];
  for (const e of push.plan?.errors ?? []) lines.push(`  plan: ${e.source ?? e.dir}: ${e.code}: ${e.message}`);
  for (const b of push.builds) {
    if (b.state === 'failed') {
      lines.push(`  ✗ ${b.source}/${b.arch}: ${b.error?.type ?? 'failed'}: ${b.error?.message ?? '(no message)'}`);
      lines.push(`      log: ${client.absolute(b.logUrl)}`);
    }
    if (b.state === 'succeeded' && b.installTest?.state === 'failed') {
      lines.push(`  ✗ ${b.source}/${b.arch}: install test: ${b.installTest.error?.type ?? 'failed'}: ${b.installTest.error?.message ?? '(no message)'}`);
      lines.push(`      log: ${client.absolute(b.logUrl)}`);
    }
    if (b.state === 'blocked') lines.push(`  ⊘ ${b.source}/${b.arch}: blocked by ${b.blockedBy?.join(', ') ?? 'a failed dependency'}`);
  }
  return lines;
}

/** The closing lines of `push --wait` and `status`: the outcome, then (when not published) why and what next. */
export function outcomeReport(push: PushDetail, client: ApiClient): string[] {
  if (pushPublished(push)) {
    const lines = [`${push.workflowId}: succeeded, published as snapshot ${push.publish?.snapshot}`];
    for (const t of push.publish?.targets ?? []) if (!t.ok) lines.push(`  publish target ${t.target} failing: ${t.error ?? 'unknown error'}`);
    return lines;
  }
  const lines: string[] = [];
  const state = push.state === 'failed' && push.running ? 'failed (awaiting retry or cancel)'
    : push.state === 'superseded' && push.supersededBy ? `superseded by ${push.supersededBy}` : push.state;
  lines.push(`${push.workflowId}: ${state}`);
  if (push.publish?.outcome === 'failed') lines.push(`  publishing failed: ${push.publish.error?.type}: ${push.publish.error?.message}`);
  if (push.publish?.outcome === 'skipped') lines.push(`  not published: ${push.publish.reason ?? 'a newer push is published'}`);
  lines.push(...failureReport(push, client));
  if (push.state === 'failed' && push.running) {
    const at = `${push.tree} --branch ${shellWord(push.branch)} --commit ${push.commit}`;
    lines.push(`  retry: kiln retry ${at}`, `  cancel: kiln cancel ${at}`);
  }
  return lines;
}

/** A value as one shell word. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9._\-/:@%+=]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
