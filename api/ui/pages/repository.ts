import type { SnapshotDetail, SnapshotDiff, SnapshotSummary } from '../../data/snapshots';
import { actionForm, emptyState, notice, timeEl } from '../components';
import { shortCommit } from '../format';
import { html, type SafeHtml } from '../html';
import type { InstallCommands } from '../install-commands';
import { renderPage, type PageContext } from '../layout';
import { uiLinks } from '../links';

// GET /repositories/<tree>/<branch>: how to install from the branch's repository, what the current snapshot holds,
// every kept snapshot (operators: roll back to one), and what changed between two (`?from=&to=`).

export interface RepositoryView {
  tree: string;
  branch: string;
  suite: string;
  repoUrl: string;
  commands: InstallCommands;
  snapshots: SnapshotSummary[];
  current?: SnapshotDetail;
  diff?: SnapshotDiff;
  done?: string;
}

export function repositoryPage(ctx: PageContext, v: RepositoryView): string {
  const main = html`<h1>Repository ${v.tree}/${v.branch}</h1>
${v.done === 'rollback' ? notice('Rollback requested: the older packages are published again as a new snapshot, shown here once signed.') : ''}
<p>Pushes of this branch: <a href="${uiLinks.pushes({ tree: v.tree, branch: v.branch })}">list</a>. Suite <code>${v.suite}</code>, served at <a href="${v.repoUrl}/">${v.repoUrl}/</a>.</p>
<h2>Install</h2>
${v.current ? '' : notice('Nothing is published yet: these lines work after the first publish.')}
<p>${v.commands.labels.keyring}</p>
<pre class="command" data-testid="install-keyring">${v.commands.keyring}</pre>
<p>${v.commands.labels.sourcesLine}</p>
<pre class="command" data-testid="apt-source-line">${v.commands.sourcesLine}</pre>
<p>${v.commands.labels.addSource}</p>
<pre class="command" data-testid="install-source">${v.commands.addSource}</pre>
<p>Release is also signed with minisign; to check it:</p>
<pre class="command" data-testid="install-minisign">${v.commands.minisign}</pre>
${currentSection(v)}
${snapshotsSection(ctx, v)}
${diffSection(v)}`;
  return renderPage({ title: `Repository ${v.tree}/${v.branch}`, ctx, main });
}

function currentSection(v: RepositoryView): SafeHtml {
  const c = v.current;
  if (!c) return html``;
  return html`<h2>Current snapshot: #${c.number}</h2>
<p>Commit <span class="mono">${c.commit}</span>, published ${timeEl(c.createdAt)}${c.rollbackOf !== undefined ? html`, a rollback to the content of #${c.rollbackOf}` : ''}.</p>
${c.packages.length === 0 ? emptyState('It holds no packages.') : html`<div class="scroll"><table data-testid="packages">
<thead><tr><th scope="col">Source package</th><th scope="col">Version</th><th scope="col">Built on</th></tr></thead>
<tbody>${c.packages.map((p) => html`<tr data-testid="package-${p.source}"><th scope="row">${p.source}</th><td class="mono">${p.version}</td><td>${p.arches.join(', ')}</td></tr>`)}</tbody>
</table></div>
${c.arches.map((arch) => html`<details><summary>Binary packages for ${arch} (${(c.binaries[arch] ?? []).length})</summary>
<table><thead><tr><th scope="col">Package</th><th scope="col">Version</th><th scope="col">Architecture</th><th scope="col">Source</th><th scope="col">Size</th></tr></thead>
<tbody>${(c.binaries[arch] ?? []).map((b) => html`<tr><td>${b.package}</td><td class="mono">${b.version}</td><td>${b.architecture}</td><td>${b.source}</td><td>${b.size.toLocaleString('en')} B</td></tr>`)}</tbody></table>
</details>`)}`}`;
}

function snapshotsSection(ctx: PageContext, v: RepositoryView): SafeHtml {
  if (v.snapshots.length === 0) return html`<h2>Snapshots</h2>${emptyState('No snapshots yet.')}`;
  const pushPrefix = `push/${v.tree}/${v.branch}/`;
  return html`<h2>Snapshots</h2>
<div class="scroll"><table data-testid="snapshots">
<thead><tr><th scope="col">Snapshot</th><th scope="col">Commit</th><th scope="col">Published</th><th scope="col">Packages</th><th scope="col">Notes</th><th scope="col"><span class="muted">Actions</span></th></tr></thead>
<tbody>
${v.snapshots.map((s) => {
    const commit = s.publishedFor.startsWith(pushPrefix) && /^[0-9a-f]{40}$/.test(s.publishedFor.slice(pushPrefix.length))
      ? html`<a class="mono" href="${uiLinks.push({ tree: v.tree, branch: v.branch, commit: s.commit })}" title="${s.commit}">${shortCommit(s.commit)}</a>`
      : html`<span class="mono" title="${s.commit}">${shortCommit(s.commit)}</span>`;
    const notes = [
      s.current ? html`<strong>current</strong>` : '',
      s.rollbackOf !== undefined ? html` rollback to #${s.rollbackOf}` : '',
    ];
    const diffLink = s.base !== undefined
      ? html`<a href="${uiLinks.repository(v.tree, v.branch, { from: String(s.base), to: String(s.number) })}">changes</a>`
      : '';
    const rollback = ctx.operator && !s.current
      ? actionForm(ctx, { action: uiLinks.rollback(v.tree, v.branch), label: `Roll back to #${s.number}`, testid: `rollback-${s.number}`, fields: { to: s.number }, danger: true })
      : '';
    return html`<tr data-testid="snapshot-${s.number}"${s.current ? html` aria-current="true"` : ''}>
<th scope="row">#${s.number}</th><td>${commit}</td><td>${timeEl(s.createdAt)}</td><td>${s.sources}</td><td>${notes}</td><td>${diffLink} ${rollback}</td></tr>`;
  })}
</tbody></table></div>`;
}

function diffSection(v: RepositoryView): SafeHtml {
  if (v.snapshots.length < 2 && !v.diff) return html``;
  const numbers = v.snapshots.map((s) => s.number);
  const select = (name: string, label: string, selected: number | undefined) => html`<label>${label} <select name="${name}">
${numbers.map((n) => (n === selected ? html`<option value="${n}" selected>#${n}</option>` : html`<option value="${n}">#${n}</option>`))}</select></label>`;
  const d = v.diff;
  return html`<h2 id="diff">Compare snapshots</h2>
<form class="filters" method="get" action="${uiLinks.repository(v.tree, v.branch)}#diff">
${select('from', 'From', d?.from ?? numbers[1])}${select('to', 'To', d?.to ?? numbers[0])}
<button type="submit">Compare</button>
</form>
${d ? html`<section data-testid="diff" aria-label="Changes from #${d.from} to #${d.to}">
<h3>From #${d.from} to #${d.to}</h3>
${d.added.length + d.removed.length + d.changed.length === 0 ? emptyState('No source package changed.') : html`<table>
<thead><tr><th scope="col">Source package</th><th scope="col">Change</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
<tbody>
${d.added.map((a) => html`<tr data-testid="diff-added-${a.source}"><th scope="row">${a.source}</th><td class="tone-ok">added</td><td></td><td class="mono">${a.version}</td></tr>`)}
${d.changed.map((c) => html`<tr data-testid="diff-changed-${c.source}"><th scope="row">${c.source}</th><td class="tone-active">${c.rebuilt ? 'rebuilt' : 'new version'}</td><td class="mono">${c.from}</td><td class="mono">${c.to}</td></tr>`)}
${d.removed.map((r) => html`<tr data-testid="diff-removed-${r.source}"><th scope="row">${r.source}</th><td class="tone-bad">removed</td><td class="mono">${r.version}</td><td></td></tr>`)}
</tbody></table>`}
</section>` : ''}`;
}
