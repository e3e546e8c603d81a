import { notice } from '../components';
import { html } from '../html';
import { renderPage, type PageContext } from '../layout';
import { uiLinks } from '../links';

// GET /login: sign in by pasting an API token (`kiln tokens create <name>`); POST /login checks it.

export function loginPage(ctx: PageContext, next: string, error?: string): string {
  const main = html`<h1>Sign in</h1>
${error ? notice(error, 'error') : ''}
${ctx.operator ? notice(`You are signed in as ${ctx.operator.name}. Signing in again replaces that session.`) : ''}
<p>Operators act on pushes and repositories (retry, cancel, roll back) with an API token. Make one on the server with
<code>kiln tokens create &lt;name&gt;</code> and paste it here. It is kept in a cookie only this site reads.</p>
<form method="post" action="${uiLinks.login()}" data-testid="login-form">
<input type="hidden" name="next" value="${next}">
<p><label for="token">API token</label><br>
<input id="token" name="token" type="password" required autocomplete="off" spellcheck="false" size="60" data-testid="login-token"></p>
<p><button type="submit" data-testid="login-submit">Sign in</button></p>
</form>`;
  return renderPage({ title: 'Sign in', ctx, section: 'login', main });
}
