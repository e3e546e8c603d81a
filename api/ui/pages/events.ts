import type { KilnConfig } from '../../../domain/config';
import { emptyState, stateBadge, timeEl } from '../components';
import type { FeedEvent } from '../events-feed';
import { shortCommit } from '../format';
import { html } from '../html';
import { renderPage, type PageContext } from '../layout';
import { uiLinks } from '../links';

// GET /events: what happened recently, newest first (optionally of one tree).

export function eventsPage(ctx: PageContext, config: KilnConfig, events: FeedEvent[], tree?: string): string {
  const main = html`<h1>Events</h1>
<form class="filters" method="get" action="${uiLinks.events()}" aria-label="Filter events">
<label>Tree <select name="tree">${tree ? html`<option value="">all trees</option>` : html`<option value="" selected>all trees</option>`}
${config.trees.map((t) => (t.name === tree ? html`<option value="${t.name}" selected>${t.name}</option>` : html`<option value="${t.name}">${t.name}</option>`))}</select></label>
<button type="submit">Show</button>
</form>
${events.length === 0 ? emptyState('Nothing happened yet.') : html`<ol class="feed" data-testid="events">
${events.map((e) => html`<li data-testid="event-${e.kind}" data-kind="${e.kind}">${timeEl(e.time)} ${stateBadge(e.kind, e.tone)}
<a href="${uiLinks.repository(e.tree, e.branch)}">${e.tree}/${e.branch}</a>
${e.commit ? html`<a class="mono" href="${uiLinks.push({ tree: e.tree, branch: e.branch, commit: e.commit })}">${shortCommit(e.commit)}</a>` : ''}
${e.message}</li>`)}
</ol>`}`;
  return renderPage({ title: 'Events', ctx, section: 'events', main });
}
