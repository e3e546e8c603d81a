import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { KilnError } from '../../domain/errors';
import { errorPage } from './pages/error';
import type { UiSessions } from './session';
import { sendHtml } from './ui-context';
import { UiError } from './ui-error';

// Errors of the UI's routes answer as pages (the API's answer JSON): the same stable codes, never a stack trace.

/** Where "sign in" comes back to after a refused form: the page the form was on. */
function returnTo(request: FastifyRequest): string {
  const path = request.url.split('?')[0];
  return request.method === 'GET' ? request.url : path.replace(/\/(retry|cancel|rollback)$/, '') || '/';
}

export function installUiErrorHandler(app: FastifyInstance, sessions: UiSessions): void {
  app.setErrorHandler(async (err: FastifyError | KilnError | UiError, request, reply) => {
    let status: number;
    let code: string;
    let message: string;
    if (err instanceof UiError || err instanceof KilnError) {
      ({ status, code, message } = err);
      if (status >= 500) request.log.error({ code }, message);
    } else if (err.validation) {
      [status, code, message] = [400, 'REQUEST_INVALID', err.message];
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      [status, code, message] = [err.statusCode, 'REQUEST_INVALID', err.message];
    } else {
      request.log.error(err);
      [status, code, message] = [500, 'INTERNAL', 'internal error; the server log has the details'];
    }
    const operator = await sessions.operator(request).catch(() => undefined);
    return sendHtml(reply, status, errorPage({ operator: operator && { name: operator.name, csrf: operator.csrf }, url: returnTo(request) }, status, code, message));
  });
}
