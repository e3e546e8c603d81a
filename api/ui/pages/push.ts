import type { BuildCounts } from '../../data/push-records';
import type { BuildView, PushDetail } from '../../data/push-view';
import { actionForm, notice, stateBadge, timeEl } from '../components';
import { buildTone, elapsed, installTestTone, pushTone, shortCommit } from '../format';
import { html, type SafeHtml } from '../html';
import { renderPage, type PageContext } from '../layout';
import { uiLinks } from '../links';

// GET /pushes/<tree>/<branch>/<commit>: one push: its facts, the package × arch grid (failures first), what failed
// and why, the publish result, and (for operators) retry and cancel. With the script, the grid follows the push live.

const COUNT_ORDER = ['succeeded', 'building', 'waiting', 'failed', 'blocked', 'cancelled'] as const;
const NOTICES: Record<string, string> = {
  retry: 'Retry requested: the failed builds (and failed install tests) run again.',
  cancel: 'Cancel requested: the push stops its builds and publishes nothing.',
};
/** Rows with a failure come first, then blocked ones, then running ones, then the rest; by name within each. */
const ROW_RANK: Record<string, number> = { failed: 0, blocked: 1, building: 2, waiting: 3 };

/** The push still acts on retry and cancel: it runs and is not winding down (cancelling, or ended but for its last
 * steps), where a retry would be accepted and then do nothing. */
function acting(push: PushDetail): boolean {
  return push.running && ['planning', 'building', 'testing', 'failed', 'publishing'].includes(push.state);
}

export function countsText(counts: BuildCounts): string {
  const parts = COUNT_ORDER.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `${counts.total} ${counts.total === 1 ? 'build' : 'builds'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

export function pushPage(ctx: PageContext, push: PushDetail, treeArches: readonly string[], done?: string): string {
  const ref = { tree: push.tree, branch: push.branch, commit: push.commit };
  const running = push.running;
  const canCancel = acting(push);
  const canRetry = canCancel && (push.state === 'failed' || push.buildCounts.failed > 0 || push.publish?.outcome === 'failed'
    || push.builds.some((b) => b.installTest?.state === 'failed'));
  const actions = ctx.operator && (canCancel || canRetry)
    ? html`<div class="actions">
${canRetry ? actionForm(ctx, { action: uiLinks.pushAction(ref, 'retry'), label: 'Retry failed', testid: 'retry-push' }) : ''}
${canCancel ? actionForm(ctx, { action: uiLinks.pushAction(ref, 'cancel'), label: 'Cancel push', testid: 'cancel-push', danger: true }) : ''}
</div>`
    : '';
  const main = html`<h1>Push ${push.tree}/${push.branch} @ <span class="mono">${shortCommit(push.commit)}</span> ${stateBadge(push.state, pushTone(push.state), 'push-state')}</h1>
${done && NOTICES[done] ? notice(NOTICES[done]) : ''}
${push.liveError ? notice(`Temporal did not answer (${push.liveError}); this is the push's last record.`, 'error') : ''}
<dl class="facts">
<dt>Repository</dt><dd><a href="${uiLinks.repository(push.tree, push.branch)}">${push.tree}/${push.branch}</a></dd>
<dt>Commit</dt><dd><span class="mono">${push.commit}</span>${push.forgeCommitUrl ? html` <a href="${push.forgeCommitUrl}" data-testid="forge-commit-link">on the forge, with its commit status</a>` : ''}</dd>
<dt>Requested by</dt><dd>${push.requestedBy}</dd>
<dt>Started</dt><dd>${timeEl(push.startedAt)}</dd>
${runningFor(push)}
${push.supersededBy ? html`<dt>Superseded by</dt><dd class="mono">${push.supersededBy}</dd>` : ''}
<dt>Workflow</dt><dd><a href="${push.temporalUrl}" data-testid="temporal-link">${push.workflowId}</a> <span class="muted">in the Temporal UI</span></dd>
<dt>Shown from</dt><dd>${push.source === 'live' ? 'the running workflow' : 'the push record'}</dd>
</dl>
${actions}
${publishSection(push)}
${planErrors(push)}
<h2 id="grid-title">Builds</h2>
<p data-push-counts>${countsText(push.buildCounts)}</p>
<p class="muted" data-live-status>${running ? 'Reload the page for news (or allow scripts to follow it live).' : ''}</p>
${grid(ctx, push, treeArches)}
${failures(push)}`;
  return renderPage({ title: `Push ${push.tree}/${push.branch} ${shortCommit(push.commit)}`, ctx, section: 'pushes', main });
}

function grid(ctx: PageContext, push: PushDetail, treeArches: readonly string[]): SafeHtml {
  const ref = { tree: push.tree, branch: push.branch, commit: push.commit };
  const arches = [...new Set([...treeArches, ...push.builds.map((b) => b.arch)])];
  const rows = new Map<string, BuildView[]>();
  for (const b of push.builds) rows.set(b.source, [...(rows.get(b.source) ?? []), b]);
  const rank = (builds: BuildView[]) => Math.min(4, ...builds.map((b) => (b.installTest?.state === 'failed' ? 0 : ROW_RANK[b.state] ?? 4)));
  const sorted = [...rows.entries()].sort(([a, x], [b, y]) => rank(x) - rank(y) || a.localeCompare(b));
  const live = push.running ? html` data-live-push="${uiLinks.pushEvents(ref)}"` : '';
  if (sorted.length === 0) {
    return html`<div${live} data-push-state="${push.state}" data-running="${String(push.running)}"><p class="muted">${push.state === 'planning' ? 'Planning: the builds appear once the plan is made.' : 'This push builds nothing.'}</p></div>`;
  }
  return html`<div class="scroll"${live} data-push-state="${push.state}" data-running="${String(push.running)}">
<table class="grid" data-testid="grid" aria-labelledby="grid-title">
<thead><tr><th scope="col">Source package</th>${arches.map((a) => html`<th scope="col">${a}</th>`)}</tr></thead>
<tbody>
${sorted.map(([source, builds]) => html`<tr data-testid="row-${source}">
<th scope="row">${source} <span class="muted">${builds[0].version}</span></th>
${arches.map((arch) => {
    const b = builds.find((x) => x.arch === arch);
    if (!b) return html`<td class="none" data-testid="build-${source}-${arch}" data-state="none">—</td>`;
    const retry = ctx.operator && acting(push) && (b.state === 'failed' || b.installTest?.state === 'failed')
      ? actionForm(ctx, {
        action: uiLinks.pushAction(ref, 'retry'), label: 'retry', testid: `retry-${source}-${arch}`, small: true,
        fields: { source, arch }, ariaLabel: `Retry ${source} on ${arch}`,
      })
      : '';
    return html`<td class="cell tone-${buildTone(b.state)}" data-testid="build-${source}-${arch}" data-build="${source}/${arch}" data-state="${b.state}">
<a href="${uiLinks.buildLog(ref, source, arch)}" aria-label="${source} on ${arch}: ${b.state}, log"><span class="cell-state">${b.state}${b.attempt > 1 ? ` (attempt ${b.attempt})` : ''}</span><span class="cell-time"${b.startedAt !== undefined ? html` data-started="${b.startedAt}"` : ''}${b.finishedAt !== undefined ? html` data-finished="${b.finishedAt}"` : ''}>${elapsed(b.startedAt, b.finishedAt)}</span></a>${b.note ? html`<span class="cell-note muted" data-testid="note-${source}-${arch}">${b.note}</span>` : ''}${installTestLine(b)}${b.cached ? html` <span class="muted" title="built before, reused">cached</span>` : ''}${retry}</td>`;
  })}
</tr>`)}
</tbody></table></div>`;
}

/** The build's install test in its cell: state, and what failed or was skipped. */
function installTestLine(b: BuildView): SafeHtml {
  const t = b.installTest;
  if (!t) return html``;
  const s = t.summary;
  const detail = s ? [
    s.failed.length ? `failed: ${s.failed.join(', ')}` : '',
    s.skipped.length ? `skipped: ${s.skipped.map((x) => `${x.name} (${x.reason})`).join(', ')}` : '',
    `installed: ${s.installed.join(', ') || 'nothing'}; tests passed: ${s.passed.join(', ') || 'none'}`,
  ].filter(Boolean).join('; ') : '';
  return html`<span class="cell-test tone-${installTestTone(t.state)}" data-testid="install-test-${b.source}-${b.arch}" data-test-state="${t.state}"${detail ? html` title="${detail}"` : ''}>install test: ${t.state}${t.attempt > 1 ? ` (attempt ${t.attempt})` : ''}</span>`;
}

function failures(push: PushDetail): SafeHtml {
  const failed = push.builds.filter((b) => b.state === 'failed' || b.state === 'blocked' || b.installTest?.state === 'failed');
  if (failed.length === 0) return html``;
  const ref = { tree: push.tree, branch: push.branch, commit: push.commit };
  return html`<h2>Failures</h2><ul class="failures" data-testid="failures">
${failed.map((b) => html`<li><a href="${uiLinks.buildLog(ref, b.source, b.arch)}">${b.source} on ${b.arch}</a>: ${b.state === 'blocked'
    ? html`blocked by ${(b.blockedBy ?? []).join(', ') || 'a failed build'}`
    : b.state === 'succeeded' && b.installTest
      ? html`install test: <code>${b.installTest.error?.type ?? 'failed'}</code> ${b.installTest.error?.message ?? ''}`
      : html`<code>${b.error?.type ?? 'failed'}</code> ${b.error?.message ?? ''}`}</li>`)}
</ul>`;
}

function publishSection(push: PushDetail): SafeHtml {
  const p = push.publish;
  if (!p) return html``;
  const tone = p.outcome === 'published' ? 'ok' : p.outcome === 'failed' ? 'bad' : 'idle';
  const failedTargets = p.targets.filter((t) => !t.ok);
  return html`<h2>Publish</h2>
<p>${stateBadge(p.outcome, tone, 'publish-outcome')}${p.snapshot !== undefined ? html` as <a href="${uiLinks.repository(push.tree, push.branch)}">snapshot #${p.snapshot}</a>` : ''}${p.reason ? html` <span class="muted">${p.reason}</span>` : ''}</p>
${p.error ? html`<p class="tone-bad"><code>${p.error.type}</code> ${p.error.message}</p>` : ''}
${failedTargets.length ? html`<ul>${failedTargets.map((t) => html`<li class="tone-bad">target ${t.target}: ${t.error ?? t.detail ?? 'failed'}</li>`)}</ul>` : ''}`;
}

function planErrors(push: PushDetail): SafeHtml {
  const errors = push.plan?.errors ?? [];
  if (errors.length === 0) return html``;
  return html`<h2>Recipes that could not be read</h2><ul>${errors.map((e) => html`<li><code>${e.dir}</code>${e.source ? html` (${e.source})` : ''}: <code>${e.code}</code> ${e.message}</li>`)}</ul>`;
}

/**
 * How long the push has run, ticking (data-running-since) while it runs, or how long it took. A failed push still runs
 * (it waits for retry or cancel) although its workflow noted when it failed: it is not "done" until it ends.
 */
function runningFor(push: PushDetail) {
  if (push.running || push.finishedAt === undefined) {
    return html`<dt>Running for</dt><dd><span data-running-since="${push.startedAt}">${elapsed(push.startedAt, undefined)}</span></dd>`;
  }
  return html`<dt>Took</dt><dd>${elapsed(push.startedAt, push.finishedAt)} (finished ${timeEl(push.finishedAt)})</dd>`;
}
