import type { FastifyInstance } from 'fastify';
import { safeNext } from '../links';
import { loginPage } from '../pages/login';
import { formFields, queryValue, sendHtml, type Ui } from '../ui-context';

// Signing in (an API token pasted into a form, checked, kept in an HttpOnly SameSite=Strict cookie) and out.

const HIDDEN = { schema: { hide: true } };

export function sessionRoutes(app: FastifyInstance, ui: Ui): void {
  const { sessions } = ui;
  const pageOperator = async (request: Parameters<typeof sessions.operator>[0]) => {
    const op = await sessions.operator(request);
    return op && { name: op.name, csrf: op.csrf };
  };

  app.get<{ Querystring: Record<string, unknown> }>('/login', HIDDEN, async (request, reply) => {
    const ctx = { operator: await pageOperator(request), url: '/login' };
    return sendHtml(reply, 200, loginPage(ctx, safeNext(queryValue(request.query.next))));
  });

  app.post('/login', HIDDEN, async (request, reply) => {
    const form = formFields(request.body);
    // No session yet, so no CSRF value: the Origin and Sec-Fetch-Site checks still apply (no login from other sites).
    sessions.checkForm(request, undefined, form);
    const next = safeNext(form.next);
    const token = (form.token ?? '').trim();
    const name = token ? await sessions.verify(token) : undefined;
    if (!name) {
      request.log.info('web UI sign-in refused: token not valid');
      const ctx = { operator: await pageOperator(request), url: '/login' };
      return sendHtml(reply, 401, loginPage(ctx, next, 'That API token is not valid (mistyped, or revoked). Nothing was stored.'));
    }
    request.log.info({ by: name }, 'web UI sign-in');
    return reply.header('set-cookie', sessions.sessionCookie(token)).redirect(next, 303);
  });

  app.post('/logout', HIDDEN, async (request, reply) => {
    const operator = await sessions.operator(request);
    sessions.checkForm(request, operator, formFields(request.body));
    return reply.header('set-cookie', sessions.clearCookie()).redirect('/', 303);
  });
}
