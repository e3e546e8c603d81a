import type { KilnConfig } from '../../../domain/config';
import { PUSH_STATES, type PushPage } from '../../data/push-records';
import { commitLink, emptyState, stateBadge, timeEl } from '../components';
import { elapsed, pushTone } from '../format';
import { html } from '../html';
import { renderPage, type PageContext } from '../layout';
import { uiLinks } from '../links';

// GET /pushes: pushes newest first, filtered by tree, branch and state, one page at a time.

export interface PushFilters {
  tree?: string;
  branch?: string;
  state?: string;
}

export function pushesPage(ctx: PageContext, config: KilnConfig, filters: PushFilters, page: PushPage, cursor?: string): string {
  const option = (value: string, label: string, selected: boolean) => (selected
    ? html`<option value="${value}" selected>${label}</option>`
    : html`<option value="${value}">${label}</option>`);
  const branches = [...new Set(config.trees.filter((t) => !filters.tree || t.name === filters.tree).flatMap((t) => t.branches))];
  const main = html`<h1>Pushes</h1>
<form class="filters" method="get" action="${uiLinks.pushes()}" role="search" aria-label="Filter pushes">
<label>Tree <select name="tree">${option('', 'all trees', !filters.tree)}${config.trees.map((t) => option(t.name, t.name, t.name === filters.tree))}</select></label>
<label>Branch <select name="branch">${option('', 'all branches', !filters.branch)}${branches.map((b) => option(b, b, b === filters.branch))}</select></label>
<label>State <select name="state">${option('', 'any state', !filters.state)}${PUSH_STATES.map((s) => option(s, s, s === filters.state))}</select></label>
<button type="submit">Filter</button>
${filters.tree || filters.branch || filters.state ? html`<a href="${uiLinks.pushes()}">Clear</a>` : ''}
</form>
${page.pushes.length === 0 ? emptyState('No pushes match.') : html`<div class="scroll"><table data-testid="pushes">
<thead><tr><th scope="col">Tree / branch</th><th scope="col">Commit</th><th scope="col">State</th><th scope="col">Builds</th><th scope="col">Requested by</th><th scope="col">Started</th><th scope="col">Took</th></tr></thead>
<tbody>
${page.pushes.map((p) => html`<tr data-testid="push-${p.commit}">
<td><a href="${uiLinks.repository(p.tree, p.branch)}">${p.tree}/${p.branch}</a></td>
<td>${commitLink(uiLinks.push(p), p.commit)}</td>
<td>${stateBadge(p.state, pushTone(p.state))}${p.publish?.snapshot !== undefined ? html` <span class="muted">#${p.publish.snapshot}</span>` : ''}</td>
<td>${p.builds.succeeded}/${p.builds.total}${p.builds.failed ? html` <span class="tone-bad">${p.builds.failed} failed</span>` : ''}</td>
<td>${p.requestedBy}</td>
<td>${timeEl(p.startedAt)}</td>
<td>${elapsed(p.startedAt, p.finishedAt)}</td>
</tr>`)}
</tbody></table></div>`}
<nav class="pager" aria-label="Pages">
${cursor ? html`<a href="${uiLinks.pushes({ ...filters })}">Newest</a>` : ''}
${page.nextCursor ? html`<a href="${uiLinks.pushes({ ...filters, cursor: page.nextCursor })}" rel="next" data-testid="older">Older</a>` : ''}
</nav>`;
  return renderPage({ title: 'Pushes', ctx, section: 'pushes', main });
}
