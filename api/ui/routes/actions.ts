import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KilnError } from '../../../domain/errors';
import { configuredBranch } from '../../data/branches';
import { uiLinks } from '../links';
import { errorPage } from '../pages/error';
import { checkCommit, formFields, sendHtml, type Ui } from '../ui-context';
import { signInRequired } from '../ui-error';

// The operator's buttons: each form POST is checked (session, Origin, CSRF) and then made as the REST API's own action
// with the operator's API token, so the API's rules, answers and records ("api:<token name>") apply unchanged.

type PushParams = { tree: string; branch: string; commit: string };
const HIDDEN = { schema: { hide: true } };

export function actionRoutes(app: FastifyInstance, ui: Ui): void {
  const seg = encodeURIComponent;

  /** The signed-in operator of a form that passed the checks, with its fields. */
  async function operatorForm(request: FastifyRequest) {
    const operator = await ui.sessions.operator(request);
    if (!operator) throw signInRequired('only a signed-in operator can do this: sign in with an API token');
    const form = formFields(request.body);
    ui.sessions.checkForm(request, operator, form);
    return { operator, form };
  }

  /** The API's answer: 2xx, or its error shown as a page (same status, same code). */
  async function callApi(request: FastifyRequest, token: string, url: string, body: Record<string, unknown>) {
    const answer = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    if (answer.statusCode >= 200 && answer.statusCode < 300) return undefined;
    let error: { code?: string; message?: string } = {};
    try {
      error = (answer.json() as { error?: typeof error }).error ?? {};
    } catch {
      // not JSON: described below
    }
    request.log.info({ url, status: answer.statusCode, code: error.code }, 'web UI action refused by the API');
    return { status: answer.statusCode, code: error.code ?? 'INTERNAL', message: error.message ?? `the API answered ${answer.statusCode}` };
  }

  const optional = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

  app.post<{ Params: PushParams }>('/pushes/:tree/:branch/:commit/retry', HIDDEN, async (request, reply) => {
    const { operator, form } = await operatorForm(request);
    const { tree, branch, commit } = request.params;
    configuredBranch(ui.config, tree, branch);
    checkCommit(commit);
    const failed = await callApi(request, operator.token, `/api/pushes/${seg(tree)}/${seg(branch)}/${commit}/retry`,
      { source: optional(form.source), arch: optional(form.arch) });
    if (failed) return sendHtml(reply, failed.status, errorPage(pageCtx(operator, request.params), failed.status, failed.code, failed.message));
    return reply.redirect(`${uiLinks.push(request.params)}?done=retry`, 303);
  });

  app.post<{ Params: PushParams }>('/pushes/:tree/:branch/:commit/cancel', HIDDEN, async (request, reply) => {
    const { operator } = await operatorForm(request);
    const { tree, branch, commit } = request.params;
    configuredBranch(ui.config, tree, branch);
    checkCommit(commit);
    const failed = await callApi(request, operator.token, `/api/pushes/${seg(tree)}/${seg(branch)}/${commit}/cancel`,
      { reason: `cancelled in the web UI by ${operator.name}` });
    if (failed) return sendHtml(reply, failed.status, errorPage(pageCtx(operator, request.params), failed.status, failed.code, failed.message));
    return reply.redirect(`${uiLinks.push(request.params)}?done=cancel`, 303);
  });

  app.post<{ Params: { tree: string; branch: string } }>('/repositories/:tree/:branch/rollback', HIDDEN, async (request, reply) => {
    const { operator, form } = await operatorForm(request);
    const { tree, branch } = request.params;
    configuredBranch(ui.config, tree, branch);
    const to = optional(form.to);
    if (to !== undefined && !/^[1-9]\d{0,8}$/.test(to)) throw new KilnError('REQUEST_INVALID', `"${to}" is not a snapshot number`);
    const failed = await callApi(request, operator.token, `/api/repos/${seg(tree)}/${seg(branch)}/rollback`, to === undefined ? {} : { to: Number(to) });
    if (failed) {
      const ctx = { operator: { name: operator.name, csrf: operator.csrf }, url: uiLinks.repository(tree, branch) };
      return sendHtml(reply, failed.status, errorPage(ctx, failed.status, failed.code, failed.message));
    }
    return reply.redirect(uiLinks.repository(tree, branch, { done: 'rollback' }), 303);
  });
}

function pageCtx(operator: { name: string; csrf: string }, push: PushParams) {
  return { operator: { name: operator.name, csrf: operator.csrf }, url: uiLinks.push(push) };
}
