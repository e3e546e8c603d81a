import type { FastifyInstance } from 'fastify';
import { installUiErrorHandler } from '../ui/error-handler';
import { PushWatches } from '../ui/push-watch';
import { actionRoutes } from '../ui/routes/actions';
import { liveRoutes } from '../ui/routes/live';
import { pageRoutes } from '../ui/routes/pages';
import { sessionRoutes } from '../ui/routes/session-routes';
import { staticRoutes } from '../ui/routes/static';
import { UiSessions } from '../ui/session';
import type { Ui, UiRouteOptions } from '../ui/ui-context';

export type { UiRouteOptions } from '../ui/ui-context';

/** Form bodies the UI accepts: small, URL-encoded, string fields only. */
const FORM_LIMIT = 16 * 1024;

/**
 * The web UI: server-rendered pages that work without JavaScript (/, /pushes, /pushes/<tree>/<branch>/<commit>[/logs/
 * <source>/<arch>], /repositories/<tree>/<branch>, /events, /login), status badges (/badge/<tree>/<branch>.svg), its
 * assets (/ui/assets/...) and the live grid's event stream (/ui/events/pushes/...). Operators sign in with an API
 * token; their buttons POST forms that become the REST API's actions. Register it as its own (encapsulated) plugin:
 * the form parser and the HTML error pages stay inside it.
 */
export async function uiRoutes(app: FastifyInstance, opts: UiRouteOptions): Promise<void> {
  const ui: Ui = {
    ...opts,
    sessions: new UiSessions(opts.tokens, opts.config.api.publicUrl),
    watches: new PushWatches(opts.live?.pollMs ?? 1_000, (err) => app.log.error({ err }, 'live push status failed')),
  };
  // Open event streams would keep the server from closing: end them first.
  app.addHook('preClose', (done) => {
    ui.watches.closeAll();
    done();
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  installUiErrorHandler(app, ui.sessions);

  staticRoutes(app, ui);
  sessionRoutes(app, ui);
  pageRoutes(app, ui);
  actionRoutes(app, ui);
  liveRoutes(app, ui);
}
