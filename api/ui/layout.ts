import { SCRIPT, STYLE } from './assets/assets';
import { html, type SafeHtml } from './html';
import { uiLinks } from './links';
import { CSRF_FIELD } from './session';

// The page shell: title, viewport, the stylesheet and script, a skip link, the navigation bar with the session.

export interface PageContext {
  /** The signed-in operator (name and CSRF value), if any. */
  operator?: { name: string; csrf: string };
  /** The path and query of this page: where signing in comes back to. */
  url: string;
}

export type Section = 'dashboard' | 'pushes' | 'events' | 'login' | undefined;

export interface PageOptions {
  title: string;
  ctx: PageContext;
  section?: Section;
  main: SafeHtml;
}

export function renderPage({ title, ctx, section, main }: PageOptions): string {
  const link = (href: string, label: string, s: Section) => (s === section
    ? html`<a href="${href}" aria-current="page">${label}</a>`
    : html`<a href="${href}">${label}</a>`);
  const session = ctx.operator
    ? html`<span>Signed in as <strong data-testid="operator">${ctx.operator.name}</strong></span>
        <form class="inline" method="post" action="${uiLinks.logout()}">${csrfField(ctx)}<button type="submit" data-testid="logout">Sign out</button></form>`
    : link(uiLinks.login(ctx.url === '/login' ? undefined : ctx.url), 'Sign in', 'login');
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Kiln</title>
<link rel="stylesheet" href="${STYLE.url}">
<script src="${SCRIPT.url}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<nav class="top" aria-label="Main">
<a class="brand" href="${uiLinks.dashboard()}">Kiln</a>
${link(uiLinks.dashboard(), 'Dashboard', 'dashboard')}
${link(uiLinks.pushes(), 'Pushes', 'pushes')}
${link(uiLinks.events(), 'Events', 'events')}
<a href="/api/docs">API</a>
<span class="session">${session}</span>
</nav>
</header>
<main id="main">
${main}
</main>
</body>
</html>`}\n`;
}

/** The hidden CSRF field of a form that acts (only operators see such forms). */
export function csrfField(ctx: PageContext): SafeHtml {
  return ctx.operator ? html`<input type="hidden" name="${CSRF_FIELD}" value="${ctx.operator.csrf}">` : html``;
}
