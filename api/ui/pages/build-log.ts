import type { PushRef } from '../../../domain/data-layout';
import type { BuildView } from '../../data/push-view';
import { notice, stateBadge, timeEl } from '../components';
import { buildTone, elapsed, shortCommit } from '../format';
import { html } from '../html';
import { renderPage, type PageContext } from '../layout';
import { uiLinks } from '../links';

// GET /pushes/<tree>/<branch>/<commit>/logs/<source>/<arch>: a build's log (its last lines); with the script, the log
// follows the build through the API's log stream while the build may still write.

export interface BuildLogView {
  push: PushRef;
  source: string;
  arch: string;
  build?: BuildView;
  /** The last lines of the log, or undefined when there is no log (yet). */
  text?: string;
  /** The shown lines are not the whole log. */
  truncated: boolean;
  lines: number;
  /** The API's log URL (plain text, Range, follow). */
  apiUrl: string;
  /** Set while the build may still write: where the script follows it. */
  followUrl?: string;
}

export function buildLogPage(ctx: PageContext, v: BuildLogView): string {
  const b = v.build;
  const title = `${v.source} on ${v.arch}`;
  const main = html`<h1>${title} ${b ? stateBadge(b.state, buildTone(b.state), 'build-state') : ''}</h1>
<p><a href="${uiLinks.push(v.push)}">← push ${v.push.tree}/${v.push.branch} @ <span class="mono">${shortCommit(v.push.commit)}</span></a></p>
${b ? html`<dl class="facts">
<dt>Version</dt><dd>${b.version}</dd>
<dt>Attempt</dt><dd>${b.attempt}</dd>
<dt>Started</dt><dd>${timeEl(b.startedAt)}</dd>
<dt>Took</dt><dd>${elapsed(b.startedAt, b.finishedAt) || html`<span class="muted">—</span>`}</dd>
${b.key ? html`<dt>Build key</dt><dd class="mono">${b.key}</dd>` : ''}
</dl>
${b.error ? notice(html`<code>${b.error.type}</code> ${b.error.message}`, 'error') : ''}
${b.note ? notice(`Not started yet: ${b.note}.`) : ''}
${b.state === 'blocked' ? notice(`Blocked: waits for ${(b.blockedBy ?? []).join(', ') || 'a failed build'}.`) : ''}` : notice('This package is not (yet) in the push\'s plan for this architecture.')}
<h2>Log</h2>
<p class="actions"><a href="${v.apiUrl}" data-testid="raw-log">Whole log (plain text)</a></p>
${v.truncated ? html`<p class="muted">Showing the last ${v.lines} lines.</p>` : ''}
<p class="muted" data-log-status aria-live="polite">${v.followUrl ? 'The build may still write: reload for more (or allow scripts to follow it live).' : ''}</p>
${v.followUrl
    ? html`<pre class="log" data-testid="log" tabindex="0" data-follow-url="${v.followUrl}">${v.text ?? ''}</pre>`
    : html`<pre class="log" data-testid="log" tabindex="0">${v.text ?? 'No log was written for this build.'}</pre>`}`;
  return renderPage({ title: `${title} · ${v.push.tree}/${v.push.branch}`, ctx, section: 'pushes', main });
}
