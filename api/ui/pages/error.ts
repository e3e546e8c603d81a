import { html } from '../html';
import { renderPage, type PageContext } from '../layout';
import { uiLinks } from '../links';

// Any refusal or failure, as a page: the status, the stable code and the message; a way on.

export function errorPage(ctx: PageContext, status: number, code: string, message: string): string {
  const main = html`<h1>${status === 404 ? 'Not found' : status === 401 ? 'Sign in required' : status === 403 ? 'Refused' : 'Something went wrong'}</h1>
<p class="notice error" role="alert" data-testid="error"><code>${code}</code> ${message}</p>
<p>${status === 401 ? html`<a href="${uiLinks.login(ctx.url)}">Sign in</a> · ` : ''}<a href="${uiLinks.dashboard()}">Dashboard</a></p>`;
  return renderPage({ title: `Error ${status}`, ctx, main });
}
