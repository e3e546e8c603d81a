import { formatTime, isoTime, shortCommit, type Tone } from './format';
import { html, type SafeHtml } from './html';
import { csrfField, type PageContext } from './layout';

// Small pieces the pages share. Colour is never the only signal: every state is also written out.

export function stateBadge(state: string, tone: Tone, testid?: string): SafeHtml {
  return testid
    ? html`<span class="state tone-${tone}" data-testid="${testid}">${state}</span>`
    : html`<span class="state tone-${tone}">${state}</span>`;
}

export function timeEl(time: number | string | undefined): SafeHtml {
  const iso = isoTime(time);
  return iso ? html`<time datetime="${iso}">${formatTime(time)}</time>` : html`<span class="muted">—</span>`;
}

export function commitLink(href: string, commit: string): SafeHtml {
  return html`<a class="mono" href="${href}" title="${commit}">${shortCommit(commit)}</a>`;
}

export function notice(text: string | SafeHtml, kind: 'info' | 'error' = 'info'): SafeHtml {
  return kind === 'error'
    ? html`<p class="notice error" role="alert">${text}</p>`
    : html`<p class="notice" role="status">${text}</p>`;
}

export interface ActionFormOptions {
  action: string;
  label: string;
  testid: string;
  fields?: Record<string, string | number | undefined>;
  danger?: boolean;
  small?: boolean;
  /** Accessible name when the label alone is ambiguous (a retry button in a grid cell). */
  ariaLabel?: string;
}

/** A POST form with one button: only rendered for a signed-in operator (the caller checks). */
export function actionForm(ctx: PageContext, o: ActionFormOptions): SafeHtml {
  const fields = Object.entries(o.fields ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${String(value)}">`);
  const classes = [o.danger ? 'danger' : '', o.small ? 'small' : ''].filter(Boolean).join(' ');
  return html`<form class="inline" method="post" action="${o.action}">${csrfField(ctx)}${fields}<button type="submit" class="${classes}" data-testid="${o.testid}"${o.ariaLabel ? html` aria-label="${o.ariaLabel}"` : ''}>${o.label}</button></form>`;
}

export function emptyState(text: string): SafeHtml {
  return html`<p class="muted">${text}</p>`;
}
