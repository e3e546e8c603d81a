import type { TreeOverview } from '../../data/trees';
import { branchStatus } from '../branch-status';
import { commitLink, emptyState, stateBadge, timeEl } from '../components';
import { pushTone } from '../format';
import { html } from '../html';
import { renderPage, type PageContext } from '../layout';
import { uiLinks } from '../links';

// GET /: every tree and branch: what is published, the last push, and the branch's badge.

export function dashboardPage(ctx: PageContext, trees: TreeOverview[]): string {
  const main = html`<h1>Dashboard</h1>
${trees.length === 0 ? emptyState('No trees are configured.') : trees.map((tree) => html`
<section aria-labelledby="tree-${tree.name}">
<h2 id="tree-${tree.name}">${tree.name} <span class="muted">${tree.format} · ${tree.distribution} · ${tree.architectures.join(', ')}</span></h2>
<div class="scroll"><table data-testid="tree-${tree.name}">
<thead><tr><th scope="col">Branch</th><th scope="col">Status</th><th scope="col">Published snapshot</th><th scope="col">Last push</th><th scope="col">Badge</th></tr></thead>
<tbody>
${tree.branches.map((b) => {
    const status = branchStatus(b);
    const push = b.lastPush && { tree: tree.name, branch: b.name, commit: b.lastPush.commit };
    return html`<tr data-testid="branch-${tree.name}-${b.name}">
<th scope="row"><a href="${uiLinks.repository(tree.name, b.name)}">${b.name}</a></th>
<td>${stateBadge(status.message, status.tone, `status-${tree.name}-${b.name}`)}</td>
<td>${b.snapshot
    ? html`<a href="${uiLinks.repository(tree.name, b.name)}">#${b.snapshot.number}</a> <span class="mono" title="${b.snapshot.commit}">${b.snapshot.commit.slice(0, 10)}</span> ${timeEl(b.snapshot.createdAt)}`
    : html`<span class="muted">not published yet</span>`}</td>
<td>${push && b.lastPush
    ? html`${commitLink(uiLinks.push(push), push.commit)} ${stateBadge(b.lastPush.state, pushTone(b.lastPush.state))} ${timeEl(b.lastPush.startedAt)}`
    : html`<span class="muted">none yet</span>`}</td>
<td><img src="${uiLinks.badge(tree.name, b.name)}" alt="status of ${tree.name}/${b.name}: ${status.message}" height="20"></td>
</tr>`;
  })}
</tbody></table></div>
</section>`)}`;
  return renderPage({ title: 'Dashboard', ctx, section: 'dashboard', main });
}
